"""PDFs: stamps and key figures in the text, fixed metadata, paper sizes, pages that render."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import cast

import pytest
from pypdf import PdfReader

from reporting import generate_report
from reporting.registry import REPORTS
from risk_controls import events as ev
from tests.reporting.conftest import Generated, pdf_text


def test_every_pdf_has_a_cover_with_the_stamps_and_numbered_pages(generated: Generated) -> None:
    records = generated.records()
    for name, cls in REPORTS.items():
        if "pdf" not in cls.formats:
            continue
        path = generated.file(name, "pdf")
        reader = PdfReader(path)
        pages = len(reader.pages)
        text = pdf_text(path)
        cover = " ".join((reader.pages[0].extract_text() or "").split())
        assert cls.title in cover
        assert f"seq {records[0].seq} to {records[-1].seq} ({len(records)} records)" in cover
        assert records[-1].record_hash in cover and "VERIFIED" in cover
        assert "Content SHA-256" in cover and "Audit checkpoint record" in cover
        assert f"Page {pages} of {pages}" in text
        assert "2026-11-20 (00:00 to 24:00 UTC)" in text


def test_order_blotter_pdf_key_figures(generated: Generated) -> None:
    text = generated.pdf_text("order-blotter")
    received = len(list(generated.of(ev.ORDER_RECEIVED)))
    denied = len(list(generated.of(ev.ORDER_DENIED)))
    assert f"New orders received in the period {received}" in text
    assert f"Denied pre-trade {denied}" in text
    assert "Replaced (corrected by a later version) 1" in text
    assert "Orders cancelled by a kill switch" in text


def test_metadata_is_fixed_by_the_period(generated: Generated) -> None:
    meta = PdfReader(generated.file("order-blotter", "pdf")).metadata
    assert meta is not None
    created = meta.creation_date_raw
    assert created is not None and created.startswith("D:20261121000000")
    assert meta.modification_date_raw == created
    assert meta.title == "Order Blotter"


@pytest.mark.parametrize(("paper", "size"), [("A4", (595, 842)), ("LETTER", (612, 792))])
def test_paper_sizes(generated: Generated, tmp_path: Path, paper: str, size: tuple[int, int]) -> None:
    s = generated.sample
    paths = generate_report("denials", s.log, s.day, s.day, "pdf", tmp_path, s.key, paper=paper)
    box = PdfReader(paths[0]).pages[1].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size
    assert paths[0].name.endswith("_letter.pdf") == (paper == "LETTER")


def test_pages_render_to_png(generated: Generated, tmp_path: Path) -> None:
    """pdftoppm (poppler-utils) must be able to rasterise every page."""
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdftoppm is missing: apt-get install poppler-utils")
        pytest.skip("pdftoppm is not installed")
    pdf = generated.file("order-blotter", "pdf")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == len(PdfReader(pdf).pages)
    from PIL import Image

    with Image.open(pngs[1]) as page:
        extrema = cast("tuple[float, float]", page.convert("L").getextrema())  # one band: (min, max)
    assert extrema[0] < 100 < extrema[1]  # ink on paper, not a blank page
