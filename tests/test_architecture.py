"""No second path to a venue, and one-way dependencies between the packages."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["gateway", "risk_controls", "fix", "audit", "reporting", "strategies"]
# Only the composition root may construct a venue implementation; only the router calls one.
MAY_IMPORT_VENUES = {"gateway.app"}


def _modules() -> dict[str, ast.Module]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def _imports(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_the_composition_root_imports_a_venue_implementation() -> None:
    offenders = {
        name
        for name, tree in _modules().items()
        if not name.startswith("gateway.venues")
        and any(i == "gateway.venues" or i.startswith("gateway.venues.") for i in _imports(tree))
    }
    assert offenders <= MAY_IMPORT_VENUES, (
        f"modules reaching a venue directly: {offenders - MAY_IMPORT_VENUES}"
    )


def test_strategies_and_adapters_only_know_the_order_entry_seam() -> None:
    for name, tree in _modules().items():
        if name.startswith(("strategies", "fix", "reporting")):
            bad = {i for i in _imports(tree) if i.startswith("gateway")}
            assert not bad, f"{name} imports the composition root: {bad}"


def test_venue_methods_are_called_only_by_the_router() -> None:
    """``.submit(RoutedOrder(...))`` — handing an order to a venue — happens in gateway.router only."""
    callers = set()
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"submit", "replace"}
                and node.args
                and isinstance(node.args[-1], ast.Call)
                and isinstance(node.args[-1].func, ast.Name)
                and node.args[-1].func.id == "RoutedOrder"
                and not (isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "router")
            ):
                callers.add(name)
    assert callers <= {"gateway.router"}, callers


def test_import_layer_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is a dev dependency"
    done = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
