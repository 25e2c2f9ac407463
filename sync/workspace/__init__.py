"""Loading a workspace: config and contract files, YAML with lines, ${VAR}s, errors, scaffolds."""
