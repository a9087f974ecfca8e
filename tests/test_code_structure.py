"""Rules about the Python code's shape that a review would otherwise have to keep by eye.

* No import cycle among the modules of ``runner`` (imports inside functions count: a lazy import
  that goes back up the tree is still a cycle, it only fails later).
* One reconnect backoff (runner.backoff), used by every long-running loop.
* Docs and comments say things in their own words: nothing cites the project's early working notes
  ("seed 003"), its issue tracker ("issue 8") or a design document that is not in the repository.
  Landed migrations included: their comments were reworded (migrations/reworded.txt). Only the dumped
  database the upgrade test starts from keeps the old text, as the data it is.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from runner.backoff import Backoff

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "runner"
OUTSIDE_REFERENCE = re.compile(r"\bseeds? ?/?\d{3}\b|\bseeds/|\bissue #?\d+\b|DESIGN\.md", re.IGNORECASE)
# Text the rule does not reach: migrations that landed before it, and a frozen dump of an old release.
FROZEN = re.compile(r"^tests/fixtures/")
TEXT_SUFFIXES = {".py", ".sql", ".md", ".toml", ".service", ".timer", ".env", ".json", ".cfg"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(RUNNER.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The runner modules ``path`` imports, wherever in the file the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in modules:
                found.add(node.module)
            # "from runner import db" imports the module runner.db
            submodules = {f"{node.module}.{alias.name}" for alias in node.names}
            found.update(submodules & modules)
    return found


def _import_graph() -> dict[str, set[str]]:
    files = {_module_name(path): path for path in RUNNER.rglob("*.py")}
    modules = set(files)
    return {name: _imports(path, modules) - {name} for name, path in files.items()}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> list[str] | None:
        if name in visiting:
            return [*visiting[visiting.index(name) :], name]
        if name in done:
            return None
        visiting.append(name)
        for target in sorted(graph[name]):
            if cycle := visit(target):
                return cycle
        visiting.pop()
        done.add(name)
        return None

    for name in sorted(graph):
        if cycle := visit(name):
            return cycle
    return None


def test_the_runner_package_has_no_import_cycle():
    graph = _import_graph()
    assert "runner.cli" in graph and "runner.migrate" in graph["runner.cli"], "the graph is read at all"
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_backoff_doubles_up_to_five_seconds_and_resets():
    backoff = Backoff()
    assert [backoff.next() for _ in range(6)] == [1, 2, 4, 5, 5, 5]
    backoff.reset()
    assert backoff.next() == 1


def test_every_reconnecting_loop_uses_the_one_backoff():
    for path in RUNNER.rglob("*.py"):
        if path.name == "backoff.py":
            continue
        text = path.read_text()
        assert "backoff * 2" not in text and "MAX_BACKOFF" not in text, f"{path.name} doubles a wait of its own"


def _repository_text_files() -> list[Path]:
    folders = ["runner", "sql", "migrations", "tests", "bench", "docs", "deploy", ".ci"]
    files = [ROOT / "README.md", ROOT / "Makefile", ROOT / "pyproject.toml"]
    for folder in folders:
        files.extend(path for path in (ROOT / folder).rglob("*") if path.is_file() and path.suffix in TEXT_SUFFIXES)
    return [path for path in files if "__pycache__" not in path.parts]


def test_docs_and_comments_do_not_point_outside_the_repository():
    files = _repository_text_files()
    assert len(files) > 100, "the scan sees the repository"
    citing = []
    for path in files:
        relative = path.relative_to(ROOT).as_posix()
        if FROZEN.match(relative) or relative == "tests/test_code_structure.py":
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE_REFERENCE.search(line):
                citing.append(f"{relative}:{number}: {line.strip()[:100]}")
    assert citing == [], "say it in your own words:\n" + "\n".join(citing)


def test_the_outside_reference_pattern_matches_what_it_should():
    for text in ("as seed 004 says", "Seed 003's order_items", "see issue 8", "issue #12", "DESIGN.md", "seeds/002"):
        assert OUTSIDE_REFERENCE.search(text), text
    for text in ("a random seed", "seeded 300 rows", "the issue is", "design"):
        assert not OUTSIDE_REFERENCE.search(text), text
