"""The code's shape: no import cycle, the orders domain's layers (`.importlinter`), and no module
importing another module's private names."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("inventory_app", "users_app", "orders_app", "shared_ui", "stripe_emulator", "shopctl")


def private_imports(root: Path, packages=PACKAGES) -> list[str]:
    """`from a.b import _name` where a.b is another first-party module: what it reaches into."""
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                    continue
                if node.module.split(".")[0] not in packages or node.module == module:
                    continue
                found += [
                    f"{module} imports {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    return found


def test_import_contracts_hold(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True, no_logo=True) == 0


def test_no_module_imports_another_modules_private_names():
    assert private_imports(ROOT) == []


@pytest.mark.parametrize("line", ["from shop.store import _locked", "from shop.store import thing, _record as record"])
def test_the_private_name_check_finds_a_private_import(tmp_path, line):
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "store.py").write_text("def _locked(): ...\n")
    (package / "uses.py").write_text(line + "\n")
    assert private_imports(tmp_path, ("shop",)) != []


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def test_bench_and_tests_do_not_import_each_other():
    """What both use (the stack, the client) lives in stacktools/."""
    tests_from_bench = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in (ROOT / "bench").rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] == "tests"
    ]
    bench_from_tests = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in (ROOT / "tests").rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] == "bench"
    ]
    assert tests_from_bench + bench_from_tests == []


@pytest.mark.parametrize("folder", ["orders_app", "stack", "reliability", "browser", "security"])
def test_tests_import_helper_modules_not_other_tests(folder):
    """Helpers live in helper modules (helpers.py, shop_orders.py, fakes), never in test modules or conftest."""
    reached = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in (ROOT / "tests" / folder).rglob("*.py")
        for module in imported_modules(path)
        if module.startswith("tests.") and module.rsplit(".", 1)[-1].startswith(("test_", "conftest"))
    ]
    assert reached == []


def test_an_orders_status_is_assigned_only_by_the_transition_function():
    """orders_app/store.py's transition() moves a status by the table in states.py; nothing else does."""
    assigned = []
    for path in sorted((ROOT / "orders_app").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "status":
                    owner = target.value.id if isinstance(target.value, ast.Name) else ""
                    if owner == "order":
                        assigned.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert [place for place in assigned if not place.startswith("orders_app/store.py")] == []
    assert assigned, "the check found not even transition() itself"


@pytest.mark.parametrize("app", ["inventory_app", "users_app", "orders_app"])
def test_a_serving_app_loads_no_migration_tooling(app, tmp_path):
    """Alembic (with Mako and Pygments) is ~11 MiB of every process that imports it; the web workers
    and the jobs runner never migrate, so an app built to serve leaves it out (shared_ui/migrations.py),
    and `flask db` still finds the commands."""
    env = {
        **os.environ,
        "SHOP_ENV": "test",
        "SECRET_KEY": "architecture-test",
        "SHOP_SERVICE_TOKEN": "architecture-test",
        f"{app.split('_')[0].upper()}_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
    }
    tooling = ("alembic", "mako", "flask_migrate")
    probe = f"import sys, {app}; {app}.create_app(); print(sorted(m for m in {tooling!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
    root = Path(__file__).resolve().parent.parent
    flask = [sys.executable, "-m", "flask", "--app", app, "db"]
    subprocess.run([*flask, "upgrade"], env=env, cwd=root, capture_output=True, check=True)
    current = subprocess.run([*flask, "current"], env=env, cwd=root, capture_output=True, text=True, check=True)
    assert "(head)" in current.stdout
