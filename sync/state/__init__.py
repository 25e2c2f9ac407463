"""The workspace's state database: its tables, migrations and the store."""
