"""Many workspaces on many machines: syncs as Celery tasks, queued by hand or by beat."""
