"""The small shared domain model: orders, executions, instruments, decisions."""

from risk_controls.domain.decisions import CheckOutcome, CheckResult, Denial, DenyCode
from risk_controls.domain.executions import ExecType, ExecutionReport
from risk_controls.domain.instruments import Instrument, InstrumentBook
from risk_controls.domain.orders import (
    NO_OVERRIDES,
    AppliedFill,
    CancelRequest,
    Capacity,
    Channel,
    MifidOverrides,
    NewOrder,
    OrderOrigin,
    OrderStatus,
    OrdType,
    ReplaceRequest,
    Side,
    TimeInForce,
    WorkingOrder,
)

__all__ = [
    "NO_OVERRIDES",
    "AppliedFill",
    "CancelRequest",
    "Capacity",
    "Channel",
    "CheckOutcome",
    "CheckResult",
    "Denial",
    "DenyCode",
    "ExecType",
    "ExecutionReport",
    "Instrument",
    "InstrumentBook",
    "MifidOverrides",
    "NewOrder",
    "OrdType",
    "OrderOrigin",
    "OrderStatus",
    "ReplaceRequest",
    "Side",
    "TimeInForce",
    "WorkingOrder",
]
