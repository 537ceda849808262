"""One module per report; each defines a Projection subclass."""
