"""The house matches its plan: dependencies point one way (import-linter, run by `make test` and here),
and nothing hides an import inside a function unless a comment on that line says why."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
APPS = ["accounts", "assist", "audit", "core", "counter", "elder_mode", "family", "insurance", "live", "portal",
        "settlement", "tools", "vouchers"]


def _imports_inside_functions(path: Path) -> list[tuple[int, str]]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import | ast.ImportFrom):
                statement = lines[inner.lineno - 1:inner.end_lineno]
                if not any("#" in line for line in statement):
                    found.append((inner.lineno, statement[0].strip()))
    return sorted(set(found))


def test_no_module_imports_inside_a_function_without_saying_why():
    offenders = []
    for app in APPS:
        for path in sorted((BASE / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            offenders += [f"{path.relative_to(BASE)}:{n}: {line}" for n, line in _imports_inside_functions(path)]
    assert offenders == [], "imports inside functions without a comment saying why:\n" + "\n".join(offenders)


def test_the_import_contracts_hold():
    result = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=BASE,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_no_template_comment_spills_onto_the_page():
    # `{# … #}` ends at the end of its line: a two-line one is printed on every page that extends the template.
    spilled = []
    for path in sorted(BASE.glob("**/templates/**/*.html")):
        if ".venv" in path.parts:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if "{#" in line and "#}" not in line.split("{#", 1)[1]:
                spilled.append(f"{path.relative_to(BASE)}:{n}")
    assert spilled == [], "use {% comment %} for comments over several lines: " + ", ".join(spilled)
