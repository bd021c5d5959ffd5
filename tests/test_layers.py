"""The packages' dependencies point one way: front-ends -> evaluation -> engine and access -> index.

Every import of the product's code is read (module level, inside functions, under TYPE_CHECKING), so
an import that runs back up fails here, naming the file and the line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRONT_ENDS = {"cli", "api", "ui"}
TOOLS = {"training"}  # imported by nothing of the product
# What each package may import of the product (its own modules always).
ALLOWED: dict[str, set[str]] = {
    "index": set(),
    "access": {"index", "qa.errors", "qa.settings", "qa.types"},  # the engine's vocabulary, nothing more
    "qa": {"index", "access"},
    "evaluation": {"index", "access", "qa"},
    "cli": {"index", "access", "qa", "evaluation", "api", "ui"},
    "api": {"index", "access", "qa", "ui"},  # `qa serve` serves the chat beside the API
    "ui": {"index", "access", "qa"},
    "training": {"index", "qa", "evaluation"},  # offline tooling: trains and calibrates the project's models
}
PACKAGES = set(ALLOWED)


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import of the product's packages in `path`."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] in PACKAGES:
                yield node.lineno, name


def allowed(package: str, module: str) -> bool:
    """Whether code of `package` may import `module`."""
    top = module.split(".")[0]
    if top == package:
        return True
    rules = ALLOWED[package]
    return top in rules or any(module == rule or module.startswith(rule + ".") for rule in rules)


def violations(package: str) -> list[str]:
    """Each import of `package` that its rule does not allow, as 'file:line imports module'."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, module in imports(path):
            if allowed(package, module):
                continue
            # `from qa import errors` names the module qa.errors: allowed when that is
            if package == "access" and module in {"qa", "qa.errors", "qa.settings", "qa.types"}:
                continue
            found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_imports_point_down(package: str) -> None:
    assert violations(package) == []


def test_no_module_outside_the_front_ends_imports_one() -> None:
    for package in PACKAGES - FRONT_ENDS - TOOLS:
        for path in (ROOT / package).rglob("*.py"):
            ups = [m for _, m in imports(path) if m.split(".")[0] in FRONT_ENDS]
            assert ups == [], f"{path.relative_to(ROOT)} imports a front-end: {ups}"


def test_the_rule_catches_an_import_back_up(tmp_path: Path) -> None:
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from ui.app import mount\n    import api.app\nfrom qa.service import QA\n")
    found = [m for _, m in imports(source)]
    assert "ui.app" in found and "api.app" in found and "qa.service" in found
    assert not allowed("qa", "ui.app") and not allowed("index", "qa.service") and not allowed("access", "qa.service")
    assert not allowed("evaluation", "cli.main") and allowed("cli", "evaluation")


def test_every_package_states_its_role() -> None:
    for package in PACKAGES:
        doc = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "Role:" in doc, f"{package}/__init__.py needs a docstring with its role and what it imports"


def test_chroma_is_reached_only_through_its_adapter() -> None:
    for path in ROOT.joinpath("index").rglob("*.py"):
        modules = {m for _, m in _third_party(path)}
        if path.name != "chroma.py":
            assert "chromadb" not in modules, f"{path.relative_to(ROOT)} imports chromadb: use index/chroma.py"
        if path.name not in {"chroma.py", "store.py"}:
            assert "langchain_chroma" not in modules, f"{path.relative_to(ROOT)} imports langchain_chroma"
    for package in PACKAGES - {"index"}:
        for path in (ROOT / package).rglob("*.py"):
            modules = {m for _, m in _third_party(path)}
            assert not modules & {"chromadb", "langchain_chroma"}, f"{path.relative_to(ROOT)} reaches Chroma"


def _third_party(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, a.name.split(".")[0]) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module.split(".")[0]


def test_nothing_of_the_product_imports_the_training_tools() -> None:
    for package in PACKAGES - TOOLS:
        for path in (ROOT / package).rglob("*.py"):
            assert not [m for _, m in imports(path) if m.split(".")[0] in TOOLS], f"{path.relative_to(ROOT)}"


def test_tests_mirror_the_packages() -> None:
    for package in PACKAGES:
        assert (ROOT / "tests" / package).is_dir(), f"tests/{package}/ holds the tests of {package}/"
