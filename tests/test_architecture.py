"""One owner per concern: SQL and cache ids only in core/store, and no private names shared
across modules. (Import rules between layers: the import-linter contracts in pyproject.toml,
run by test_layers.py.)"""
import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
STORE = ROOT / "musicmap_desktop" / "core" / "store"
SOURCES = ("musicmap_desktop", "trainer", "scripts", "packaging")

# What SQL looks like in a string: a statement keyword followed by what must come after it.
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
                 r"CREATE\s+(TABLE|INDEX)|DROP\s+(TABLE|INDEX)|ALTER\s+TABLE|PRAGMA\s+\w+|BEGIN\s+IMMEDIATE)\b",
                 re.S)
DB_CALLS = {"execute", "executemany", "executescript"}
# Pieces of the cache's id formats (core/store/ids.py spells them).
ID_PIECES = re.compile(r"meanmax:|\+ft-|mfcc20:|[\"']album-[\"'*{]|f[\"']album-")


def sources():
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if STORE not in path.parents:
                yield path


def _sql_uses(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in DB_CALLS:
            found.append(f"line {node.lineno}: .{node.func.attr}(…)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            found.append(f"line {node.lineno}: {node.value.strip()[:60]!r}")
    return found


def test_no_sql_outside_the_store():
    offenders = {str(p.relative_to(ROOT)): uses for p in sources() if (uses := _sql_uses(p))}
    assert offenders == {}, "SQL belongs in musicmap_desktop/core/store/"


def test_the_sql_detector_sees_sql(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('rows = db.execute("SELECT path FROM tracks")\nq = "INSERT INTO vectors VALUES (?)"\n')
    assert len(_sql_uses(bad)) == 3  # the call, and both statements
    good = tmp_path / "good.py"
    good.write_text('"""Select a folder from the list; update the map."""\ntree.query(p)\n')
    assert _sql_uses(good) == []


def test_the_store_holds_sql():
    assert any(_sql_uses(p) for p in STORE.glob("*.py"))  # the detector looks in the right place


def test_cache_ids_are_spelled_only_in_the_store():
    offenders = [f"{p.relative_to(ROOT)}: {m.group()}" for p in sources()
                 for m in ID_PIECES.finditer(p.read_text(encoding="utf-8"))]
    assert offenders == [], "id formats belong in musicmap_desktop/core/store/ids.py"


def _private_imports(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"line {n.lineno}: from {n.module} import {a.name}" for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) for a in n.names
            if a.name.startswith("_") and not a.name.startswith("__")]


def test_no_module_imports_another_modules_private_names():
    offenders = {str(p.relative_to(ROOT)): found for p in sources() if (found := _private_imports(p))}
    offenders.update({str(p.relative_to(ROOT)): found for p in STORE.glob("*.py") if (found := _private_imports(p))})
    assert offenders == {}
