"""Instruments and the book of instruments the gateway may trade."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from risk_controls.domain.money import to_decimal


@dataclass(frozen=True, slots=True)
class Instrument:
    symbol: str
    isin: str
    mic: str
    currency: str
    tick_size: Decimal
    lot_size: Decimal
    reference_price: Decimal | None
    name: str


class InstrumentBook:
    """Instruments by symbol. Reference prices live here and may be updated."""

    def __init__(self, instruments: Iterable[Instrument]) -> None:
        self._by_symbol: dict[str, Instrument] = {i.symbol: i for i in instruments}
        self._reference: dict[str, Decimal | None] = {
            s: i.reference_price for s, i in self._by_symbol.items()
        }

    def get(self, symbol: str) -> Instrument | None:
        return self._by_symbol.get(symbol)

    def reference_price(self, symbol: str) -> Decimal | None:
        return self._reference.get(symbol)

    def set_reference_price(self, symbol: str, price: Decimal | None) -> None:
        if symbol in self._by_symbol:
            self._reference[symbol] = price

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self._by_symbol.values())

    def __len__(self) -> int:
        return len(self._by_symbol)

    @classmethod
    def from_csv(cls, path: Path) -> InstrumentBook:
        """Load ``symbol,isin,mic,currency,tick_size,lot_size,reference_price,name``."""
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        instruments = []
        for row in rows:
            ref = row.get("reference_price", "").strip()
            instruments.append(
                Instrument(
                    symbol=row["symbol"].strip(),
                    isin=row["isin"].strip(),
                    mic=row["mic"].strip(),
                    currency=row["currency"].strip(),
                    tick_size=to_decimal(row["tick_size"]),
                    lot_size=to_decimal(row["lot_size"]),
                    reference_price=to_decimal(ref) if ref else None,
                    name=row["name"].strip(),
                )
            )
        return cls(instruments)
