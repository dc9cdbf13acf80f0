"""The shape of the repository: package names and the direction of imports.

- No top-level package may share a name with a standard-library module (ARCHITECTURE.md: a
  package called ``platform`` hides the stdlib one and breaks uuid, Flask, SQLAlchemy...).
- ``core`` imports neither ``tenants`` nor ``merchants``; only the composition root
  (``core/app.py`` and the ``linli`` CLI in ``core/cli.py``) may.
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core"
FORBIDDEN_FROM_CORE = {"tenants", "merchants"}
COMPOSITION_ROOT = {CORE / "app.py", CORE / "cli.py"}


def top_level_packages(root: Path = ROOT) -> list[str]:
    return sorted(
        p.name for p in root.iterdir()
        if p.is_dir() and (p / "__init__.py").is_file() and not p.name.startswith(".")
    )


def test_top_level_packages_are_the_expected_ones():
    # a guard on the guard: the walk must find the packages we know of
    assert {"core", "tenants", "merchants", "tests"} <= set(top_level_packages())


def test_no_top_level_package_shadows_the_standard_library():
    clashes = [name for name in top_level_packages() if name in sys.stdlib_module_names]
    assert not clashes, f"top-level packages named like stdlib modules: {clashes}"


def test_the_stdlib_check_would_catch_a_clash(tmp_path):
    for name in ("platform", "core"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
    clashes = [n for n in top_level_packages(tmp_path) if n in sys.stdlib_module_names]
    assert clashes == ["platform"]


# --- import direction ------------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module ``source`` imports: import statements (relative ones resolved) and
    ``importlib.import_module("...")`` / ``__import__("...")`` with a literal name."""
    found = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if called in {"import_module", "__import__"} and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str):
                found.add(first.value)
    return found


def forbidden_imports(source: str, module: str, is_package: bool = False) -> set[str]:
    return {
        name for name in imported_modules(source, module, is_package)
        if name.split(".")[0] in FORBIDDEN_FROM_CORE
    }


def test_core_imports_neither_tenants_nor_merchants():
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 20, "the walk found too few core files"
    offenders = {}
    for path in files:
        if path in COMPOSITION_ROOT:
            continue
        bad = forbidden_imports(path.read_text(), _module_name(path), path.name == "__init__.py")
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert not offenders, (
        "core must not import tenants or merchants (use the hook registries): "
        f"{offenders}"
    )


def test_the_import_check_catches_every_form():
    module = "core.web.example"
    samples = {
        "import merchants.partners.models": True,
        "import tenants": True,
        "from merchants.partners import actions": True,
        "from tenants.shop.models import Item as I": True,
        "def f():\n    from merchants.partners.access import enter_merchant": True,
        "import importlib\nimportlib.import_module('tenants.rules.setup')": True,
        "__import__('merchants')": True,
        "from ...merchants import partners": True,  # resolves to merchants.partners
        "from core.web import landing": False,
        "import merchantsx": False,
        "from . import landing": False,
    }
    for source, expected in samples.items():
        assert bool(forbidden_imports(source, module)) is expected, source


def test_the_composition_root_does_import_the_capabilities():
    # the allow-list is not dead: app.py really names packages outside core
    from core.app import CAPABILITIES

    assert any(name.split(".")[0] in FORBIDDEN_FROM_CORE for name in CAPABILITIES)
