"""MiFID II order tagging (RTS 22 attributes) and the check digits of LEIs and ISINs.

The pipeline calls :func:`tag_order` after the control chain passes; its
result is written under ``tags`` in the ``order.accepted`` audit record.
"""

from risk_controls.mifid.identifiers import has_lei_shape, is_valid_isin, is_valid_lei
from risk_controls.mifid.resolve import CONTROL
from risk_controls.mifid.tagging import SHORT_SELLING_INDICATOR, MifidTagger, tag_order, tagger_for

__all__ = [
    "CONTROL",
    "SHORT_SELLING_INDICATOR",
    "MifidTagger",
    "has_lei_shape",
    "is_valid_isin",
    "is_valid_lei",
    "tag_order",
    "tagger_for",
]
