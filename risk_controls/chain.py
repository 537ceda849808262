"""The SEC 15c3-5 control chain: run the checks in order, keep every result.

Cheap checks first; the first denial stops the chain (fail closed), and the
list of evaluated results goes into the audit record either way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from risk_controls.checks.context import CheckContext
from risk_controls.domain import CheckOutcome, CheckResult, Denial, DenyCode
from risk_controls.domain.decisions import deny

CheckFn = Callable[[CheckContext], Denial | None]
log = logging.getLogger(__name__)


CheckTimings = list[tuple[str, float]]
"""(check name, seconds) for each check one sampled evaluation ran, in order."""
TimingSink = Callable[[CheckTimings], None]


class ControlChain:
    """An ordered list of named checks.

    With an ``on_sample`` sink set, one evaluation in ``sample_every`` also times each
    check and hands the timings to the sink (per-check latency for /metrics, at the
    cost of two clock reads per check on the sampled orders only).
    """

    def __init__(self, checks: Sequence[tuple[str, CheckFn]], sample_every: int = 64) -> None:
        self._checks = tuple(checks)
        # each check with its (immutable, shared) pass result: no lookup per check per order
        self._steps = tuple(
            (name, check, CheckResult(name, CheckOutcome.PASS)) for name, check in self._checks
        )
        self.sample_every = sample_every
        self.on_sample: TimingSink | None = None
        self._until_sample = 1  # the first evaluation after a sink is set is sampled

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self._checks)

    def evaluate(self, ctx: CheckContext) -> tuple[Denial | None, list[CheckResult]]:
        timings: CheckTimings | None = None
        if self.on_sample is not None:
            self._until_sample -= 1
            if self._until_sample <= 0:
                self._until_sample = self.sample_every
                timings = []
        results: list[CheckResult] = []
        append = results.append
        name = ""
        denial: Denial | None = None
        try:
            for name, check, passed in self._steps:
                if timings is None:
                    denial = check(ctx)
                else:
                    started = time.perf_counter()
                    denial = check(ctx)
                    timings.append((name, time.perf_counter() - started))
                if denial is not None:
                    append(CheckResult(name, CheckOutcome.DENY, denial))
                    break
                append(passed)
        except Exception as exc:  # a bug in a check must deny, never pass
            denial = deny(DenyCode.CHECK_FAILED, name, error=type(exc).__name__)
            append(CheckResult(name, CheckOutcome.DENY, denial))
        if timings is not None:
            self._report(timings)
        return denial, results

    def _report(self, timings: CheckTimings) -> None:
        sink = self.on_sample
        if sink is None:
            return
        try:
            sink(timings)
        except Exception:  # monitoring must never change a decision
            log.exception("check timing sink failed")


def default_chain() -> ControlChain:
    """The chain in the order of the product spec: cheap and decisive checks first."""
    from risk_controls.checks import (
        access,
        collar,
        credit,
        duplicate,
        exposure,
        hours,
        kill,
        restricted,
        sanity,
        self_trade,
        short_sale,
        size,
        throttle,
    )

    return ControlChain(
        [
            (kill.CONTROL, kill.check),
            (access.ACCOUNT_CONTROL, access.account_enabled),
            (access.AUTHORIZED_CONTROL, access.authorized),
            (access.INSTRUMENT_CONTROL, access.instrument_permitted),
            (access.VENUE_CONTROL, access.venue_permitted),
            (hours.CONTROL, hours.check),
            (sanity.CONTROL, sanity.check),
            (restricted.CONTROL, restricted.check),
            (size.QUANTITY_CONTROL, size.max_quantity),
            (size.NOTIONAL_CONTROL, size.max_notional),
            (collar.CONTROL, collar.check),
            (duplicate.CONTROL, duplicate.check),
            (throttle.SESSION_CONTROL, throttle.session_throttle),
            (throttle.ACCOUNT_CONTROL, throttle.account_throttle),
            (throttle.EXECUTION_CONTROL, throttle.execution_throttle),
            (throttle.DAILY_CONTROL, throttle.daily_order_cap),
            (credit.CONTROL, credit.check),
            (exposure.POSITION_CONTROL, exposure.position_limit),
            (exposure.EXPOSURE_CONTROL, exposure.gross_exposure),
            (short_sale.CONTROL, short_sale.check),
            (self_trade.CONTROL, self_trade.check),
        ]
    )
