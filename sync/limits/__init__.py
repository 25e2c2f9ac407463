"""API limits shared across processes: the backends behind ``budget_key`` (Redis, SQL)."""
