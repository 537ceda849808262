"""PDF rendering of report documents with reportlab: fixed metadata, UTC, A4 or Letter."""

from reporting.pdf.render import PAPER_SIZES, render_pdf

__all__ = ["PAPER_SIZES", "render_pdf"]
