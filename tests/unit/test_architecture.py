"""Layering rules from ARCHITECTURE.md that code review alone would not keep."""

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
