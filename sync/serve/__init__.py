"""`funnelsync serve`: the revenue-ops admin's live screen over one or many workspaces."""
