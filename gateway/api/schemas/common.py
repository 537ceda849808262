"""Field types shared by every schema: decimal strings, identifiers, UTC times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

DECIMAL_PATTERN = r"^[0-9]{1,15}(\.[0-9]{1,9})?$"
SIGNED_DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/\-]{0,63}$"
TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$"

DecimalText = Annotated[
    str,
    Field(pattern=DECIMAL_PATTERN, description="A non-negative decimal number as a string", examples=["100"]),
]
Amount = Annotated[str, Field(pattern=SIGNED_DECIMAL_PATTERN, description="A decimal number as a string")]
Identifier = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
Timestamp = Annotated[
    str,
    Field(
        pattern=TIMESTAMP_PATTERN, description="UTC, microseconds", examples=["2026-11-23T14:30:00.123456Z"]
    ),
]
Reason = Annotated[
    str,
    Field(
        min_length=1,
        max_length=500,
        pattern=r"\S",
        description="Why: mandatory, recorded in the audit log",
        examples=["runaway algo on ACC-HOUSE"],
    ),
]


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # year 1 with a positive offset, year 9999 with a negative one
        raise ValueError("date-time out of range once converted to UTC") from exc


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


class Strict(BaseModel):
    """Request bodies refuse unknown fields: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")
