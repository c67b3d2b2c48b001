"""isctl talks to the service only through the API: its modules import the
standard library, httpx, PyYAML and each other, nothing else of this project
(in particular not Django) but the Django-free reference grammar, so that the
CLI and the service check names with one definition."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import imagestreams.cli

PACKAGE = Path(imagestreams.cli.__file__).parent
ALLOWED_THIRD_PARTY = {"httpx", "yaml"}
SHARED_WITH_THE_SERVICE = {"imagestreams.registry.reference"}


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            modules.add(node.module or "")
    return modules


def test_the_cli_imports_nothing_but_the_stdlib_httpx_yaml_and_itself():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        for module in imported_modules(path):
            top = module.split(".")[0]
            allowed = (
                module == "__future__"
                or top in sys.stdlib_module_names
                or top in ALLOWED_THIRD_PARTY
                or module in SHARED_WITH_THE_SERVICE
                or module == "imagestreams.cli"
                or module.startswith("imagestreams.cli.")
            )
            assert allowed, f"{path.relative_to(PACKAGE.parent)} imports {module}"


def test_every_module_is_small():
    for path in PACKAGE.rglob("*.py"):
        assert len(path.read_text().splitlines()) < 600, path
