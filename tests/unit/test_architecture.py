"""Layering rules from ARCHITECTURE.md that code review alone would not keep.

The import rules read every import statement of our packages with `ast`: at module level,
inside functions, and under `TYPE_CHECKING` alike. An import inside a function is still a
dependency (it only loads later), and hiding a cycle there is exactly how cycles survive.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_source_never_imports_aiogram_or_outer_layers() -> None:
    offenders = []
    for path in (ROOT / "domain").rglob("*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in {"aiogram", "bot", "handlers", "notifications", "templates"}:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_importing_the_whole_domain_loads_no_aiogram() -> None:
    """Also catches indirect imports through third-party packages."""
    modules = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (ROOT / "domain").rglob("*.py")
    )
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'aiogram'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_cli_help_does_not_import_aiogram() -> None:
    code = "import sys\nfrom bot.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\nprint('aiogram' in sys.modules)\n"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_handlers_hold_no_sql() -> None:
    offenders = []
    for path in (ROOT / "handlers").rglob("*.py"):
        for name in _imports(path):
            if name.split(".")[0] == "sqlalchemy":
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


# The application's own packages; the sandbox is developer tooling around them.
APPLICATION_PACKAGES = ("bot", "handlers", "domain", "notifications", "templates", "migrations")
# The only modules that may start the sandbox: the CLI and the runner it calls.
SANDBOX_ENTRY = frozenset({"bot/cli.py", "bot/runner.py"})


def _sandbox_imports(path: Path) -> list[tuple[str, bool]]:
    """Each import of the sandbox in a file, and whether it runs only when a function is called."""
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                names = [child.module]
            found.extend((name, in_function) for name in names if name.split(".")[0] == "sandbox")
            function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            visit(child, in_function or function)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def test_only_the_cli_reaches_the_sandbox_and_only_when_it_starts_it() -> None:
    offenders = []
    entry_imports = 0
    for package in APPLICATION_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            where = path.relative_to(ROOT).as_posix()
            for name, lazy in _sandbox_imports(path):
                if where not in SANDBOX_ENTRY:
                    offenders.append(f"{where} imports {name}")
                elif not lazy:
                    offenders.append(
                        f"{where} imports {name} at import time, not when it starts it"
                    )
                else:
                    entry_imports += 1
    assert offenders == []
    # The rule is live: the CLI's path does start the sandbox (renaming it must update the rule).
    assert entry_imports > 0


def test_the_sandbox_rule_catches_an_import_at_module_level(tmp_path: Path) -> None:
    source = tmp_path / "module.py"
    source.write_text(
        "import sandbox.webchat\n"
        "from sandbox.emulator import BotApiEmulator\n"
        "def start():\n"
        "    from sandbox import webchat\n"
        "import sandboxed_thing\n",
        encoding="utf-8",
    )
    assert _sandbox_imports(source) == [
        ("sandbox.webchat", False),
        ("sandbox.emulator", False),
        ("sandbox", True),
    ]


# ----- the import graph -----

# Each application package and the packages of ours it may import (ARCHITECTURE.md, "Layout":
# bot -> handlers -> domain, bot -> notifications -> domain, handlers and notifications ->
# templates -> domain). The sandbox is not in the graph: it is tooling around the bot, and the
# rule above says who may start it.
LAYERS: dict[str, frozenset[str]] = {
    "domain": frozenset(),
    "templates": frozenset({"domain"}),
    "notifications": frozenset({"domain", "templates"}),
    "handlers": frozenset({"domain", "templates"}),
    "bot": frozenset({"domain", "templates", "notifications", "handlers"}),
    "migrations": frozenset({"domain"}),
}


def _module_name(root: Path, path: Path) -> str:
    return ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")


def _nearest_module(name: str, modules: set[str]) -> str | None:
    """The module of ours an imported name is: itself, or the nearest package holding it."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports.

    `from package import module` depends on the module; `from module import name` on the module
    that defines the name. Importing `a.b.c` is not counted as depending on `a` and `a.b`,
    although Python runs their `__init__` first: that is loading order, and counting it would
    make every package whose `__init__` re-exports its modules look like a cycle.
    """
    paths = {
        _module_name(root, path): path
        for package in packages
        if (root / package).is_dir()
        for path in (root / package).rglob("*.py")
    }
    modules = set(paths)
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        imported: list[str] = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    imported.append(submodule if submodule in modules else base)
        targets = {found for name in imported if (found := _nearest_module(name, modules))}
        targets.discard(module)
        graph[module] = targets
    return graph


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import of a package of ours that the importing package may not import."""
    found = []
    for module, targets in sorted(graph.items()):
        layer = module.split(".")[0]
        allowed = LAYERS.get(layer)
        if allowed is None:
            continue
        for target in sorted(targets):
            other = target.split(".")[0]
            if other != layer and other not in allowed:
                found.append(f"{module} imports {target}")
    return found


def import_cycles(graph: dict[str, set[str]] | dict[str, frozenset[str]]) -> list[list[str]]:
    """Every group of modules that import each other, directly or through others (Tarjan's
    strongly connected components of more than one module)."""
    order: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = lowest[module] = len(order)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph.get(module, ())):
            if target not in order:
                visit(target)
                lowest[module] = min(lowest[module], lowest[target])
            elif target in on_stack:
                lowest[module] = min(lowest[module], order[target])
        if lowest[module] == order[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph):
        if module not in order:
            visit(module)
    return sorted(cycles)


def test_the_allowed_layers_have_no_cycle_themselves() -> None:
    assert import_cycles(LAYERS) == []


def test_each_package_imports_only_the_layers_below_it() -> None:
    assert set(LAYERS) == set(APPLICATION_PACKAGES)
    graph = import_graph(ROOT, APPLICATION_PACKAGES)
    # The rules are live: the graph holds every package, and bot does import handlers.
    assert {module.split(".")[0] for module in graph} >= set(LAYERS)
    assert any(target.startswith("handlers") for target in graph["bot.app"])
    assert layer_violations(graph) == []


def test_no_import_cycle_between_our_modules() -> None:
    assert import_cycles(import_graph(ROOT, APPLICATION_PACKAGES)) == []


def test_the_import_rules_catch_a_handler_importing_bot_and_a_cycle(tmp_path: Path) -> None:
    files = {
        "bot/__init__.py": "",
        "bot/settings.py": "",
        "handlers/__init__.py": "",
        "handlers/menu.py": "from bot.settings import Settings\n",
        "notifications/__init__.py": "",
        "notifications/push.py": "def send():\n    from handlers import menu\n",
        "domain/__init__.py": "",
        "domain/orders.py": "import domain.shipping\n",
        "domain/shipping.py": "def ship():\n    from domain import orders\n",
        "templates/__init__.py": "",
        "templates/view.py": "from domain.orders import Order\nimport aiogram\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    graph = import_graph(tmp_path, APPLICATION_PACKAGES)
    assert graph["templates.view"] == {"domain.orders"}
    assert layer_violations(graph) == [
        "handlers.menu imports bot.settings",
        "notifications.push imports handlers.menu",
    ]
    assert import_cycles(graph) == [["domain.orders", "domain.shipping"]]


# ----- how domain services are imported -----

SERVICES = ROOT / "domain" / "services"
# Everywhere a service can be imported from: the application, its tooling and its tests.
SERVICE_IMPORTERS = (*APPLICATION_PACKAGES, "sandbox", "tests", "bench")


def service_import_offences(path: Path, services: Path = SERVICES) -> list[str]:
    """Imports of domain services that break the rule: a service module is imported under its
    own name (`from domain.services import warehouses`, `from domain.services.orders import
    lifecycle`) and used through it; never an alias, never a name imported out of it."""

    def is_module(dotted: str) -> bool:
        relative = Path(*dotted.split(".")[2:])
        return (services / relative).with_suffix(".py").is_file() or (
            services / relative / "__init__.py"
        ).is_file()

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend(
                f"line {node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name.startswith("domain.services")
            )
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module != "domain.services" and not node.module.startswith("domain.services."):
                continue
            for alias in node.names:
                where = f"line {node.lineno}: from {node.module} import {alias.name}"
                if not is_module(f"{node.module}.{alias.name}"):
                    found.append(f"{where} (a name, not a module)")
                elif alias.asname is not None and alias.asname != alias.name:
                    found.append(f"{where} as {alias.asname}")
    return found


def test_services_are_imported_as_modules_under_their_own_names() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} {offence}"
        for package in SERVICE_IMPORTERS
        for path in (ROOT / package).rglob("*.py")
        for offence in service_import_offences(path)
    ]
    assert offenders == []


def test_the_service_import_rule_catches_aliases_and_names(tmp_path: Path) -> None:
    services = tmp_path / "domain" / "services"
    (services / "orders").mkdir(parents=True)
    for name in ("__init__.py", "warehouses.py", "orders/__init__.py", "orders/lifecycle.py"):
        (services / name).write_text("", encoding="utf-8")
    source = tmp_path / "module.py"
    source.write_text(
        "from domain.services import warehouses\n"
        "from domain.services.orders import lifecycle\n"
        "from domain.services import warehouses as service\n"
        "from domain.services.warehouses import seller_of\n"
        "from domain.services.orders.lifecycle import confirm_order\n"
        "import domain.services.warehouses\n"
        "def later():\n"
        "    from domain.services.orders import lifecycle as rules\n",
        encoding="utf-8",
    )
    assert service_import_offences(source, services) == [
        "line 3: from domain.services import warehouses as service",
        "line 4: from domain.services.warehouses import seller_of (a name, not a module)",
        "line 5: from domain.services.orders.lifecycle import confirm_order (a name, not a module)",
        "line 6: import domain.services.warehouses",
        "line 8: from domain.services.orders import lifecycle as rules",
    ]


# ----- services reach the database through repositories -----


def session_uses(path: Path) -> list[int]:
    """Lines where a module touches something's `.session` (the unit of work's, mostly)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "session"
    )


def test_services_never_touch_the_session() -> None:
    """Every query is a repository method; transaction control is `uow.flush()` and
    `uow.savepoint()` (domain/unit_of_work.py)."""
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in SERVICES.rglob("*.py")
        for line in session_uses(path)
    ]
    assert offenders == []


def test_the_session_rule_catches_a_query_and_a_flush(tmp_path: Path) -> None:
    source = tmp_path / "service.py"
    source.write_text(
        "async def report(uow):\n"
        "    rows = await uow.session.execute(query)\n"
        "    await uow.flush()\n"
        "    session = uow.orders\n"
        "    await uow.session.flush()\n",
        encoding="utf-8",
    )
    assert session_uses(source) == [2, 5]
