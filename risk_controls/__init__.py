"""Pre-trade risk controls: the domain model, policy schema and pure checks.

This package is the bottom layer of the gateway. It imports nothing from the
other packages; storage, protocols and the server build on top of it.
"""
