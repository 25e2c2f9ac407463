"""Running funnelsync: the engine, the command line, the demo."""
