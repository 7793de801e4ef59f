"""The code's layout, read from the source with `ast` (nothing of the project is imported): what `ingest` may
import of `bot`, no import cycles in `bot` and `ingest`, modules and functions that fit, and Chroma only behind
`bot.store`. Each rule is also run on a small made-up example that breaks it, so that none can pass vacuously.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO

PACKAGES = ("bot", "ingest")
INGEST_MAY_IMPORT = ("bot.types", "bot.errors", "bot.settings", "bot.text", "bot.store", "bot.embed")
"""What ingest may import of bot (each with its submodules): the types it builds, the errors it raises, the
settings it reads, the text analysis it shares with the questions, and the store and embedder it writes with."""
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
CHROMA_ONLY_UNDER = "bot/store/"
CHROMA_CHECKED = ("bot", "ingest", "eval", "bench")


@dataclass(frozen=True)
class Import:
    """One import statement's target module, where it is, and whether it runs (not under TYPE_CHECKING)."""

    target: str
    line: int
    runs: bool = True


def module_name(path: Path, root: Path = REPO) -> str:
    """`bot/answer/verify.py` → `bot.answer.verify`; a package's `__init__.py` is the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(packages: Iterable[str] = PACKAGES, root: Path = REPO) -> dict[str, Path]:
    """Every module of the packages, by dotted name."""
    return {module_name(p, root): p for pkg in packages for p in sorted((root / pkg).rglob("*.py"))}


def _under_type_checking(tree: ast.AST) -> set[int]:
    """The ids of the import nodes inside `if TYPE_CHECKING:` blocks (for the type checker only, never run)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
            if name == "TYPE_CHECKING":
                out |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return out


def imports_in(source: str, module: str, is_package: bool, known: Iterable[str] = ()) -> list[Import]:
    """The modules `source` imports, anywhere in it (inside functions too), relative imports resolved.

    `from a.b import c` is an import of `a.b.c` when that is a module of `known`, else of `a.b`.
    """
    known = set(known)
    tree = ast.parse(source)
    type_only = _under_type_checking(tree)
    package = module.split(".") if is_package else module.split(".")[:-1]
    out: list[Import] = []
    for node in ast.walk(tree):
        runs = id(node) not in type_only
        if isinstance(node, ast.Import):
            out += [Import(a.name, node.lineno, runs) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for a in node.names:
                sub = f"{target}.{a.name}"
                out.append(Import(sub if sub in known else target, node.lineno, runs))
    return sorted(out, key=lambda i: i.line)


def import_graph(mods: dict[str, Path], *, running_only: bool = True) -> dict[str, set[str]]:
    """module → the modules of `mods` it imports (the imports that run, by default)."""
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        found = imports_in(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", mods)
        kept = [i for i in found if i.runs or not running_only]
        graph[name] = {i.target for i in kept if i.target in mods and i.target != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph as [a, b, …, a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def forbidden_ingest_imports(name: str, found: Iterable[Import]) -> list[str]:
    """The imports of bot by an ingest module that are not of INGEST_MAY_IMPORT."""
    return [
        f"{name}:{i.line} imports {i.target}"
        for i in found
        if (i.target == "bot" or i.target.startswith("bot."))
        and not any(i.target == ok or i.target.startswith(ok + ".") for ok in INGEST_MAY_IMPORT)
    ]


def too_long(source: str, where: str) -> Iterator[str]:
    """The module itself, and each function or method of it, when over its limit."""
    n = len(source.splitlines())
    if n > MAX_MODULE_LINES:
        yield f"{where}: {n} lines (at most {MAX_MODULE_LINES})"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                yield f"{where}:{node.lineno} {node.name}: {length} lines (at most {MAX_FUNCTION_LINES})"


def chroma_imports(source: str, where: str) -> list[str]:
    """The lines of `source` that import chromadb (or a part of it)."""
    return [
        f"{where}:{i.line}"
        for i in imports_in(source, "m", False)
        if i.target == "chromadb" or i.target.startswith("chromadb.")
    ]


# --- the rules, on the project's code


def test_ingest_imports_of_bot_only_types_errors_settings_text_store_and_embed() -> None:
    mods = modules(("bot", "ingest"))
    bad = [
        line
        for name, path in mods.items()
        if name.startswith("ingest")
        for line in forbidden_ingest_imports(name, imports_in(path.read_text(encoding="utf-8"), name, False, mods))
    ]
    assert not bad, "ingest imports parts of bot it must not:\n" + "\n".join(bad)


def test_bot_and_ingest_have_no_import_cycle() -> None:
    cycle = find_cycle(import_graph(modules()))
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_modules_and_functions_of_bot_and_ingest_fit_on_a_screen() -> None:
    bad = [line for path in modules().values() for line in too_long(path.read_text(encoding="utf-8"), str(path))]
    assert not bad, "\n".join(bad)


def test_only_bot_store_imports_chromadb() -> None:
    bad = [
        line
        for pkg in CHROMA_CHECKED
        for path in sorted((REPO / pkg).rglob("*.py"))
        if not path.relative_to(REPO).as_posix().startswith(CHROMA_ONLY_UNDER)
        for line in chroma_imports(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))
    ]
    assert not bad, "chromadb imported outside bot/store/:\n" + "\n".join(bad)


# --- each rule catches what it is for


def test_the_graph_holds_a_known_edge_and_an_import_inside_a_function() -> None:
    graph = import_graph(modules())
    assert "bot.query.model" in graph["bot.query.parser"]  # a top-level `from bot.query.model import Query`
    assert "ingest.chunk" in graph["ingest.index"]
    assert "bot.store.termindex" in graph["ingest.index"]  # imported inside code_version()


def test_relative_imports_are_resolved() -> None:
    known = {"bot.answer.base", "bot.answer.prompt", "bot.types", "bot.answer"}
    source = "from .base import Prepared\nfrom . import prompt\nfrom ..types import Chunk\nfrom .. import errors\n"
    targets = [i.target for i in imports_in(source, "bot.answer.verify", False, known)]
    assert targets == ["bot.answer.base", "bot.answer.prompt", "bot.types", "bot"]
    in_package = imports_in("from .base import Prepared\n", "bot.answer", True, known)
    assert [i.target for i in in_package] == ["bot.answer.base"]


def test_imports_only_for_the_type_checker_do_not_run() -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.pipeline import QA\nimport bot.types\n"
    found = {i.target: i.runs for i in imports_in(source, "bot.x", False)}
    assert found == {"typing": True, "bot.pipeline": False, "bot.types": True}


def test_a_cycle_is_found_and_printed_in_order() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from pkg.b import f\n")
    (tmp_path / "pkg" / "b.py").write_text("def f():\n    from pkg import a\n    return a\n")
    assert find_cycle(import_graph(modules(("pkg",), tmp_path))) == ["pkg.a", "pkg.b", "pkg.a"]


def test_ingest_importing_the_pipeline_is_caught() -> None:
    found = imports_in("def f():\n    from bot.pipeline import ReportQA\nfrom bot.text.analysis import x\n", "m", False)
    assert forbidden_ingest_imports("ingest.x", found) == ["ingest.x:2 imports bot.pipeline"]
    assert forbidden_ingest_imports("ingest.x", imports_in("import bot.storey\n", "m", False)) != []


def test_a_long_function_and_a_long_module_are_caught() -> None:
    long_function = "def f():\n" + "    x = 1\n" * MAX_FUNCTION_LINES
    assert [s.split(" ", 1)[1] for s in too_long(long_function, "m.py")] == ["f: 61 lines (at most 60)"]
    assert list(too_long("x = 1\n" * MAX_MODULE_LINES, "m.py")) == []
    assert list(too_long("x = 1\n" * (MAX_MODULE_LINES + 1), "m.py")) == ["m.py: 401 lines (at most 400)"]


def test_a_chromadb_import_is_caught() -> None:
    source = "import json\ndef f():\n    import chromadb.config\nfrom chromadb import Client\n"
    assert chroma_imports(source, "bot/x.py") == ["bot/x.py:3", "bot/x.py:4"]
    assert chroma_imports("import chromadbx\n", "bot/x.py") == []
