"""The REST API: order entry, risk views, kill switch, policies and audit over HTTP.

``gateway.api.app.create_app(gateway)`` builds the FastAPI app;
``gateway.api.server.start_rest`` serves it with uvicorn inside the gateway's
running event loop, beside the FIX acceptor. (Nothing is imported here, so
the CLI's token and kill commands do not pay for importing FastAPI.)
"""
