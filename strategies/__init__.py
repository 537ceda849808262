"""Internal strategies. They see only :class:`risk_controls.entry.OrderEntry`:
the same door as FIX and REST clients, never a venue."""
