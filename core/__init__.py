"""funnelsync: one funnel for marketing and sales, kept in line across every system."""

from funnelsync.connector import (
    Capabilities,
    CheckResult,
    Connector,
    ConnectorContext,
    ConnectorError,
    ConnectorSettings,
    FieldInfo,
    LeadWrite,
    ReadBatch,
    RejectedRecord,
    SystemRecord,
    WriteResult,
    WriteStatus,
)
from funnelsync.contract import FunnelContract, Stage
from funnelsync.hookspecs import hookimpl
from funnelsync.mapping import FieldMap, Mapping
from funnelsync.models import Activity, Lead

__version__ = "0.1.0"

__all__ = [
    "Activity",
    "Capabilities",
    "CheckResult",
    "Connector",
    "ConnectorContext",
    "ConnectorError",
    "ConnectorSettings",
    "FieldInfo",
    "FieldMap",
    "FunnelContract",
    "Lead",
    "LeadWrite",
    "Mapping",
    "ReadBatch",
    "RejectedRecord",
    "Stage",
    "SystemRecord",
    "WriteResult",
    "WriteStatus",
    "__version__",
    "hookimpl",
]
