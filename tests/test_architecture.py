"""The package layers hold: `core` knows no domain, the two networks never reach into each
other (what they share lives in `shared`), and `airlock-client` knows only the HTTP API.
Read from the source with `ast`, so an import inside a function counts as much as one at the
top of a module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {
    "core": ROOT / "core",
    "shared": ROOT / "shared",
    "request_network": ROOT / "request-network" / "request_network",
    "response_network": ROOT / "response-network" / "response_network",
    "airlock_cli": ROOT / "clients" / "cli" / "airlock_cli",
}
FORBIDDEN = {
    "core": {"shared", "request_network", "response_network"},
    "shared": {"request_network", "response_network"},
    "request_network": {"response_network"},
    "response_network": {"request_network"},
    # A user's tool: it knows the request network by its HTTP API (the generated client) only.
    "airlock_cli": {"core", "shared", "request_network", "response_network"},
}


def _module_name(package: str, path: Path) -> str:
    parts = path.relative_to(PACKAGES[package]).with_suffix("").parts
    return ".".join((package, *parts)).removesuffix(".__init__")


def _imports(package: str, path: Path) -> set[tuple[str, int]]:
    """(module, line) for every import in the module, relative ones resolved."""
    found: set[tuple[str, int]] = set()
    module = _module_name(package, path)
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if path.name != "__init__.py":
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                found.add((".".join([*base, *filter(None, [node.module])]), node.lineno))
            elif node.module is not None:
                found.add((node.module, node.lineno))
    return found


def _imported_packages(package: str, path: Path) -> set[tuple[str, int]]:
    """(top-level package, line) for every import in the module."""
    return {(module.split(".")[0], line) for module, line in _imports(package, path)}


def _forbidden_arrows(package: str) -> list[str]:
    arrows = []
    for path in sorted(PACKAGES[package].rglob("*.py")):
        for target, line in sorted(_imported_packages(package, path)):
            if target in FORBIDDEN[package]:
                arrows.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    return arrows


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_package_imports_a_layer_it_must_not_know(package: str) -> None:
    assert _forbidden_arrows(package) == []


def test_the_walk_sees_imports() -> None:
    """Guard against a walk that finds nothing (a moved folder): every package imports core."""
    for package in ("shared", "request_network", "response_network"):
        imported = {
            target
            for path in PACKAGES[package].rglob("*.py")
            for target, _line in _imported_packages(package, path)
        }
        assert "core" in imported, package


HTTP_MODULES = ("fastapi", "starlette", "jinja2", "core.deps")


def test_services_do_not_import_the_http_layer() -> None:
    """Services are called from routes, jobs, the CLI and tests alike, so none imports FastAPI
    (nor `core.deps`, the FastAPI side of credentials)."""
    arrows = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for package, root in PACKAGES.items()
        for path in sorted(root.rglob("service.py"))
        for target, line in sorted(_imports(package, path))
        if any(target == name or target.startswith(f"{name}.") for name in HTTP_MODULES)
    ]
    assert arrows == []


PLATFORM = PACKAGES["shared"] / "platform"
FRONT_END_MODULES = (
    "fastapi",
    "starlette",
    "jinja2",
    "core.deps",
    "typer",
    "rich",
    "shared.platform",
)


def test_the_contract_in_shared_has_no_front_end() -> None:
    """`shared/` outside `shared/platform/` is what both networks agree on (records, batch
    format, ledgers, streams, exchange): it mounts no routes and draws no command line, and it
    never reaches up into the platform built over it."""
    contract = [
        path for path in sorted(PACKAGES["shared"].rglob("*.py")) if PLATFORM not in path.parents
    ]
    assert len(contract) > 20  # a moved folder would leave nothing to check
    arrows = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for path in contract
        for target, line in sorted(_imports("shared", path))
        if any(target == name or target.startswith(f"{name}.") for name in FRONT_END_MODULES)
    ]
    assert arrows == []
