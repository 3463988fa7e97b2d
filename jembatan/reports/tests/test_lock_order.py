"""The public data version's row (reports/publication.py) is the last lock an action waits for.

On PostgreSQL every action's first timeline entry takes that one row's lock until commit. A row
lock taken after it (a report, a disposition, a follower) could make two actions wait on each
other: each action takes its row locks first, then writes its timeline entries. Read from the
source: in every function of the action modules, no statement that can run after a timeline
entry takes a row lock. (Direct calls only: an action calling another action is read as the
callee's own lines are.)
"""

import ast
from pathlib import Path

import jembatan

ROOT = Path(jembatan.__file__).resolve().parent
MODULES = [*sorted((ROOT / "reports" / "actions").glob("*.py")), ROOT / "federation" / "actions.py"]
LOCKS = {"_lock", "_lock_disposition", "select_for_update", "add_follower_locked", "merge_followers_locked"}
LOCKS_THEN_RECORDS = {"_finish"}  # locks the open dispositions, then writes its entry
RECORDS = {"_record", "_dispose_locked", "note_change", "bump"}


def _calls(node):
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None))
    return names


def _ends(block):
    return bool(block) and isinstance(block[-1], ast.Return | ast.Raise | ast.Continue | ast.Break)


def _scan(block, recorded, found, where):
    """Walk `block` in order; `recorded`: a timeline entry may already have been written. Returns
    whether one may have been written when the block falls through."""
    for statement in block:
        if isinstance(statement, ast.With):
            recorded = _scan(statement.body, recorded, found, where)
        elif isinstance(statement, ast.If):
            _check(statement.test, recorded, found, where)
            after_body = _scan(statement.body, recorded, found, where)
            after_else = _scan(statement.orelse, recorded, found, where)
            recorded = (
                (after_body and not _ends(statement.body))
                or (after_else and not _ends(statement.orelse))
                or recorded
            )
        elif isinstance(statement, ast.For | ast.While):
            _check(
                statement.iter if isinstance(statement, ast.For) else statement.test, recorded, found, where
            )
            # A second turn of the loop runs after the first turn's entries.
            recorded = _scan(statement.body, _scan(statement.body, recorded, [], where), found, where)
        elif isinstance(statement, ast.Try):
            recorded = _scan(statement.body + statement.finalbody, recorded, found, where)
        elif isinstance(statement, ast.FunctionDef):
            continue
        else:
            recorded = _check(statement, recorded, found, where)
    return recorded


def _check(node, recorded, found, where):
    names = _calls(node)
    if recorded and names & (LOCKS | LOCKS_THEN_RECORDS):
        found.append(f"{where}:{node.lineno}")
    return recorded or bool(names & (RECORDS | LOCKS_THEN_RECORDS))


def lock_after_entry(source, where=""):
    """Where (function:line) a statement of `source` may take a row lock after a timeline entry."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            _scan(node.body, False, found, f"{where}{node.name}")
    return found


def test_no_action_takes_a_row_lock_after_its_first_timeline_entry():
    found = [
        place
        for module in MODULES
        for place in lock_after_entry(module.read_text(), f"{module.relative_to(ROOT.parent)}:")
    ]
    assert not found, found


def test_the_reading_finds_a_lock_after_an_entry():
    # The check itself: mark_duplicate's old order (the original's entry, then _finish) is caught,
    # a lock in a branch that returns is not held against the next branch.
    source = (
        "def merge(report, original):\n"
        "    with atomic():\n"
        "        report = _lock(report)\n"
        "        _record(original)\n"
        "        _finish(report)\n"
        "def sweep(report):\n"
        "    report = _lock(report)\n"
        "    if report.late:\n"
        "        _finish(report)\n"
        "        return report\n"
        "    if report.done:\n"
        "        _finish(report)\n"
    )
    assert lock_after_entry(source) == ["merge:5"]
