"""The runtime apps import nothing from the tests, the benchmarks or the development tooling.

Walks every .py file of stripe_dwh/, warehouse/, webhooks/, stripe_events/ and reports/ with
ast (imports anywhere in a module, including inside functions), resolving relative imports
against the file's package.
"""

import ast
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
RUNTIME_APPS = ("stripe_dwh", "warehouse", "webhooks", "stripe_events", "reports")
FORBIDDEN = ("tests", "bench", "devtools", "localstripe")


def package_of(path: Path) -> list[str]:
    """The package a module's relative imports start from (warehouse/services/x.py ->
    warehouse.services; warehouse/services/__init__.py -> warehouse.services)."""
    return list(path.relative_to(PROJECT_DIR).parts[:-1])


def imported_modules(source: str, package: list[str]) -> list[str]:
    """Every module an import statement in `source` names, relative ones made absolute;
    `from a import b` counts as both a and a.b (b may be a module)."""
    modules = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module
            modules.append(module)
            modules.extend(f"{module}.{alias.name}" for alias in node.names)
    return modules


def runtime_files() -> list[Path]:
    return sorted(path for app in RUNTIME_APPS for path in (PROJECT_DIR / app).rglob("*.py"))


def forbidden(module: str) -> bool:
    return bool(module) and module.split(".")[0] in FORBIDDEN


def test_the_walk_sees_every_runtime_module_and_catches_a_tooling_import():
    # The walk must find the apps' modules and must flag every import form it claims to.
    files = runtime_files()
    assert PROJECT_DIR / "warehouse" / "receivers.py" in files
    assert PROJECT_DIR / "reports" / "views.py" in files
    installs = PROJECT_DIR / "warehouse" / "services" / "installs.py"
    assert "warehouse.sql_files" in imported_modules(installs.read_text(), package_of(installs))

    probe = (
        "import bench.run\n"
        "def later():\n"
        "    from devtools import stripe_double\n"
        "    from tests.factories import utc\n"
    )
    found = {m for m in imported_modules(probe, ["warehouse", "services"]) if forbidden(m)}
    assert {"bench.run", "devtools", "tests.factories"} <= found


@pytest.mark.parametrize("path", runtime_files(), ids=lambda p: str(p.relative_to(PROJECT_DIR)))
def test_runtime_module_imports_no_tooling(path):
    modules = imported_modules(path.read_text(), package_of(path))
    bad = sorted({module for module in modules if module and forbidden(module)})
    assert not bad, f"{path.relative_to(PROJECT_DIR)} imports {bad}"
