"""One small pure check per module. Each returns None (pass) or a Denial.

Checks never raise for a business reason and never return early with a pass
when data is missing: missing data is a denial (fail closed).
"""
