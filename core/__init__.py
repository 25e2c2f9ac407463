"""funnelsync: one funnel for marketing and sales, kept in line across every system."""

from funnelsync.connector import (
    ActivityWrite,
    AuthenticationError,
    BudgetExhaustedError,
    Capabilities,
    CheckResult,
    Connector,
    ConnectorContext,
    ConnectorError,
    ConnectorSettings,
    FieldInfo,
    LeadWrite,
    MappingRejectedError,
    ReadBatch,
    RejectedRecord,
    RowBatch,
    SystemRecord,
    WriteResult,
    WriteStatus,
)
from funnelsync.contract import FunnelContract, Stage
from funnelsync.hookspecs import hookimpl
from funnelsync.mapping import FieldMap, Mapping
from funnelsync.mapping import Mapping as FieldMapping
from funnelsync.models import Activity, Lead

__version__ = "0.1.0"

__all__ = [
    "Activity",
    "ActivityWrite",
    "AuthenticationError",
    "BudgetExhaustedError",
    "Capabilities",
    "CheckResult",
    "Connector",
    "ConnectorContext",
    "ConnectorError",
    "ConnectorSettings",
    "FieldInfo",
    "FieldMap",
    "FieldMapping",
    "FunnelContract",
    "Lead",
    "LeadWrite",
    "Mapping",
    "MappingRejectedError",
    "ReadBatch",
    "RejectedRecord",
    "RowBatch",
    "Stage",
    "SystemRecord",
    "WriteResult",
    "WriteStatus",
    "__version__",
    "hookimpl",
]
