"""The store's two-step canonical encoding is byte-for-byte the documented one."""

from __future__ import annotations

import datetime
import decimal
import enum
import json
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.record import assemble, canonical_bytes, json_string, payload_json

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
stamps = st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


@given(
    seq=st.integers(1, 2**62),
    ts=stamps,
    event_type=st.text(min_size=1),
    payload=st.dictionaries(st.text(), json_values, max_size=6),
    retention=st.none() | st.text(min_size=1),
)
def test_assembled_bytes_equal_canonical_bytes(
    seq: int, ts: str, event_type: str, payload: dict[str, object], retention: str | None
) -> None:
    parts = assemble(
        seq,
        ts,
        json_string(event_type),
        payload_json(payload),
        None if retention is None else json_string(retention),
    )

    assert parts == canonical_bytes(seq, ts, event_type, payload, retention)


@pytest.mark.parametrize(
    "payload", [{"px": 1.5}, {"a": [1, {"b": 2.0}]}, {"n": float("inf")}, {"d": object()}]
)
def test_floats_and_non_json_values_are_refused(payload: dict[str, object]) -> None:
    with pytest.raises(TypeError):
        payload_json(payload)
    with pytest.raises(TypeError):
        canonical_bytes(1, "2026-01-01T00:00:00.000000Z", "e", payload)


def test_the_documented_example() -> None:
    body = canonical_bytes(
        7, "2026-11-22T16:48:32.123456Z", "order.accepted", {"qty": "100", "b": ["é", None]}
    )

    assert (
        body
        == (
            '{"event_type":"order.accepted","payload":{"b":["é",null],"qty":"100"},'
            '"seq":7,"ts":"2026-11-22T16:48:32.123456Z"}'
        ).encode()
    )


plain_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(st.characters(codec="utf-8")),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(st.characters(codec="utf-8")), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(payload=st.dictionaries(st.text(st.characters(codec="utf-8")), plain_values, max_size=6))
def test_the_fast_encoder_writes_exactly_what_the_json_module_writes(payload: dict[str, object]) -> None:
    expected = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    assert payload_json(payload) == expected.encode("utf-8")


class Side(enum.StrEnum):
    BUY = "BUY"


class Level(enum.IntEnum):
    ONE = 1


class Price(float):
    pass


def test_subclasses_take_the_reference_path() -> None:
    assert payload_json({"side": Side.BUY, "level": Level.ONE}) == b'{"level":1,"side":"BUY"}'
    assert payload_json({1: "int key"}) == b'{"1":"int key"}'  # type: ignore[dict-item]
    assert payload_json({Side.BUY: 1, "A": 2}) == b'{"A":2,"BUY":1}'


@pytest.mark.parametrize(
    "value", [Price(1.5), datetime.datetime(2026, 1, 1), uuid.uuid4(), decimal.Decimal("1.5")]
)
def test_values_the_json_module_refuses_are_refused(value: object) -> None:
    with pytest.raises(TypeError):
        payload_json({"v": value})


_plain_leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
_plain_trees = st.recursive(
    _plain_leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=30,
)


@given(_plain_trees, st.floats(allow_nan=True), st.integers(min_value=0))
def test_a_float_anywhere_in_a_payload_is_refused(tree: object, number: float, where: int) -> None:
    """Plain trees pass; the same tree with one leaf (or container) replaced by a float fails."""
    payload_json({"t": tree})  # the plain tree encodes
    containers: list[list[object] | dict[str, object]] = []

    def thaw(node: object) -> object:  # tuples become lists so that a slot can be replaced
        if isinstance(node, dict):
            out = {k: thaw(v) for k, v in node.items()}
            containers.append(out)
            return out
        if isinstance(node, list | tuple):
            out_list = [thaw(v) for v in node]
            containers.append(out_list)
            return out_list
        return node

    payload = {"t": thaw(tree)}
    slots = [(c, k) for c in containers for k in (c.keys() if isinstance(c, dict) else range(len(c)))]
    target, key = slots[where % len(slots)] if slots else (payload, "t")
    target[key] = number  # type: ignore[index]
    with pytest.raises(TypeError):
        payload_json(payload)
