"""The core app never imports the triggers app: triggers consume the core's
change feed (imagestreams.signals.tag_changed), not the other way round. Only
the project wiring (settings, root URLconf, Celery app) names both."""

from __future__ import annotations

import ast
from pathlib import Path

import imagestreams

CORE = Path(imagestreams.__file__).resolve().parent
WIRING = {"settings.py", "urls.py", "celery.py"}


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module an import statement names, wherever it is (also inside functions)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return sorted(found)


def imports_of(app: str, source: str) -> list[str]:
    return [
        f"line {line}: {module}"
        for line, module in imported_modules(ast.parse(source))
        if module == app or module.startswith(f"{app}.")
    ]


def test_no_module_of_the_core_imports_triggers():
    offenders = {}
    for path in sorted(CORE.rglob("*.py")):
        relative = path.relative_to(CORE)
        if str(relative) in WIRING:
            continue
        found = imports_of("triggers", path.read_text())
        if found:
            offenders[str(relative)] = found
    assert offenders == {}, "the core must not import triggers"


def test_the_check_sees_imports_inside_functions():
    source = "def f():\n    from triggers.services import fanout\n\nimport triggers.tasks\n"
    assert imports_of("triggers", source) == [
        "line 2: triggers.services",
        "line 2: triggers.services.fanout",
        "line 4: triggers.tasks",
    ]
    assert imports_of("triggers", "from imagestreams import triggers_like\n") == []


def test_the_acting_principal_is_passed_never_read_from_ambient_state():
    """Services are told who acts (`by`); no module keeps it in a contextvar."""
    offenders = [
        str(path.relative_to(CORE))
        for path in sorted(CORE.rglob("*.py"))
        if imports_of("contextvars", path.read_text())
    ]
    assert offenders == []
