"""Dataclasses whose ``__init__`` is written out by hand take exactly their fields.

Under mypyc the ``__init__`` the dataclass decorator generates stays interpreted
bytecode (``object.__setattr__`` per field when frozen), so the classes built for
every order write theirs out and mypyc compiles it. Written out, it can drift from
the fields: a field added without a parameter, a default changed in one place only,
a parameter never stored. This test reads the source and refuses each of those.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("audit", "fix", "gateway", "reporting", "risk_controls", "strategies")


@dataclass
class Field:
    name: str
    init: bool
    default: ast.expr | None
    factory: bool


@dataclass
class HandInit:
    where: str
    fields: list[Field]
    init: ast.FunctionDef
    post_init: bool


def _is_dataclass(node: ast.ClassDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Name) and target.id == "dataclass":
            return True
        if isinstance(target, ast.Attribute) and target.attr == "dataclass":
            return True
    return False


def _field(statement: ast.AnnAssign) -> Field | None:
    if not isinstance(statement.target, ast.Name):
        return None
    if "ClassVar" in ast.unparse(statement.annotation):
        return None
    value = statement.value
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "field":
        keywords = {k.arg: k.value for k in value.keywords}
        init = keywords.get("init")
        return Field(
            statement.target.id,
            not (isinstance(init, ast.Constant) and init.value is False),
            keywords.get("default"),
            "default_factory" in keywords,
        )
    return Field(statement.target.id, True, value, False)


def hand_written_inits() -> list[HandInit]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.ClassDef) or not _is_dataclass(node):
                    continue
                methods = {s.name: s for s in node.body if isinstance(s, ast.FunctionDef)}
                if "__init__" not in methods:
                    continue
                fields = [f for s in node.body if isinstance(s, ast.AnnAssign) if (f := _field(s))]
                where = f"{path.relative_to(ROOT)}:{node.name}"
                found.append(HandInit(where, fields, methods["__init__"], "__post_init__" in methods))
    return found


def _stored(init: ast.FunctionDef) -> set[str]:
    """Attributes the body stores: ``self.x = ...`` or ``<setattr>(self, "x", ...)``."""
    stored = set()
    for node in ast.walk(init):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and ast.unparse(target.value) == "self":
                    stored.add(target.attr)
        elif isinstance(node, ast.Call) and len(node.args) >= 2:
            first, name = node.args[0], node.args[1]
            if ast.unparse(first) != "self" or not isinstance(name, ast.Constant):
                continue
            if isinstance(name.value, str):
                stored.add(name.value)
    return stored


CLASSES = hand_written_inits()


def test_the_hot_classes_are_checked() -> None:
    where = {c.where for c in CLASSES}
    for expected in (
        "risk_controls/domain/orders.py:NewOrder",
        "risk_controls/domain/executions.py:ExecutionReport",
        "risk_controls/checks/context.py:CheckContext",
        "fix/orders.py:TrackedOrder",
    ):
        assert expected in where


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.where)
def test_hand_written_init_takes_exactly_the_fields(cls: HandInit) -> None:
    args = cls.init.args
    assert not args.kwonlyargs and args.vararg is None and args.kwarg is None, cls.where
    params = [a.arg for a in args.args[1:]]
    fields = [f for f in cls.fields if f.init]
    assert params == [f.name for f in fields], f"{cls.where}: parameters differ from the fields"
    defaults: list[ast.expr | None] = [None] * (len(params) - len(args.defaults)) + list(args.defaults)
    for field, default in zip(fields, defaults, strict=True):
        assert not field.factory, f"{cls.where}.{field.name}: a default_factory the __init__ cannot see"
        want = None if field.default is None else ast.dump(field.default)
        got = None if default is None else ast.dump(default)
        assert got == want, f"{cls.where}.{field.name}: default differs from the field's"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.where)
def test_hand_written_init_stores_every_parameter(cls: HandInit) -> None:
    missing = {f.name for f in cls.fields if f.init} - _stored(cls.init)
    assert not missing, f"{cls.where}: __init__ never stores {sorted(missing)}"
    assert not cls.post_init, f"{cls.where}: __post_init__ would never run beside a written-out __init__"
