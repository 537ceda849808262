"""FIX 4.2 / 4.4 for the gateway: codec, session layer, acceptor, initiator, FIX venue.

Layers, bottom up (each module has one job)::

    tags, values, errors     tag numbers, typed values (Decimal, UTC), typed errors
    message, codec           FixMessage and the streaming parser / encoder (no I/O)
    spec, spec_data          the data dictionary and message validation
    config, schedule, ids    QuickFIX-style INI sessions, trading windows, session ids
    store                    durable sequence numbers and sent messages (SQLite, fsync)
    admin, resend, session   the session state machine: bytes and time in, bytes out
    application, journal     the seam to the application; the wire record hook
    engine, acceptor,        asyncio drivers: group-committed writes, timers,
    initiator                connection routing, reconnects
    messages, parties,       orders <-> FIX application messages (pure functions),
    orders, throttle         MiFID II parties, per-session order memory, throttle
    venue                    a FIX initiator behind risk_controls.venue.Venue
    auth                     scrypt password file for acceptor logons

The order-entry adapter that joins this package to the pipeline lives in
``gateway.fix_entry`` (the composition root); nothing here imports ``gateway``.
"""

from pathlib import Path as _Path

from risk_controls.native_guard import ensure_fresh as _ensure_fresh

_ensure_fresh(_Path(__file__).parent)  # never run a compiled module older than its source
