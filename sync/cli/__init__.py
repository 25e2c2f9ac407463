"""The `funnelsync` command line: one module per command group."""
