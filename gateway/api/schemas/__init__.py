"""Request and response bodies of the REST API (pydantic): the OpenAPI contract.

Money and quantities are decimal strings with a pattern, never JSON numbers,
so no value is rounded through a binary float on either side.
"""
