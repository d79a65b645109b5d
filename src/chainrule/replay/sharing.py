"""Buffers of a replay whose values are never needed at the same time share memory.

Eager NumPy gets this for free: an array freed after its last use hands its memory to the
next one the allocator is asked for, so the step's working set stays small and in cache. A
replay's buffers are made once and kept, one per result, so without sharing a step of
784-256-256-10 at batch 128 touches eight 128 KiB activation-sized buffers where eager
touches four or five. Sharing changes where a result lies, never what it is.

The body runs top to bottom (its branches choose between ways of computing one result, its
loops touch no buffer), so a buffer is live from the line that first writes it to the last
line that reads it, through its views and the locals assigned from it. A buffer is shared
only when that is certain: its first line writes all of it through ``out=`` of one
array-module call, and every line that touches it, or anything made from it, is of a form
that keeps nothing: an ``xp.*`` call, a local assigned from ``xp.*`` calls, numbers and
indexing, a write into a buffer by index, an ``if``/``else``. Any other line (a call of
other code, an attribute or a container set, a tuple assigned) pins what it touches, as
do the guards.
"""

from __future__ import annotations

import re
from typing import Any

_NAME = re.compile(r"\b[A-Za-z_]\w*\b")
_CALLEE = re.compile(r"([A-Za-z_][\w.]*)\(")
_LOCAL_ASSIGNMENT = re.compile(r"([a-z_]\w*) = ")
_STORE_BY_INDEX = re.compile(r"(\w+)\[[^=]*\] [-+*/]?= ")
_HARMLESS_CALLS = frozenset({"float", "int", "bool", "type", "len"})


def share_dead_buffers(
    lines: list[str],
    buffers: dict[str, Any],
    views: dict[str, tuple[str, str]],
    guards: str,
    result: str,
    namespace: dict[str, Any],
) -> tuple[list[str], str]:
    """``lines`` and ``result`` (the expression the body returns, read after its last line)
    with each buffer that can take the memory of one no longer live renamed to it.

    ``buffers``: the buffers' names and arrays, ``views``: each view constant's parent and
    suffix (both in the order they were made), ``guards``: the code before the body, in
    which nothing shared may appear. ``namespace`` is changed to match: the views of a
    renamed buffer are made again of the memory it now uses, and the renamed buffers
    themselves are dropped."""
    roots = {name: name for name in buffers}
    for view, (parent, _) in views.items():
        if parent in roots:
            roots[view] = roots[parent]
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    pinned = {roots[name] for name in _NAME.findall(guards) if name in roots}
    aliases: dict[str, set[str]] = {}  # a local -> the buffers it may be made of
    for index, line in enumerate([*lines, result]):
        touched = set()
        for name in _NAME.findall(line):
            if name in roots:
                touched.add(roots[name])
            elif name in aliases:
                touched |= aliases[name]
        if not touched:
            continue
        for root in touched:
            first.setdefault(root, index)
            last[root] = index
        if index == len(lines):  # the result: read after every line
            continue
        code = line.strip()
        assigned = _LOCAL_ASSIGNMENT.match(code)
        if assigned:
            aliases[assigned.group(1)] = aliases.get(assigned.group(1), set()) | touched
        if not _keeps_nothing(code, assigned is not None, roots):
            pinned |= touched
    free: list[tuple[int, str]] = []  # (the last line that reads it, a buffer's name)
    renamed: dict[str, str] = {}
    for root in sorted(first, key=first.__getitem__):
        if root in pinned:
            continue
        start = first[root]
        if start < len(lines) and _writes_first(lines[start], root, roots):
            for slot, (busy_until, owner) in enumerate(free):
                if busy_until < start and _alike(buffers[owner], buffers[root]):
                    del free[slot]
                    renamed[root] = owner
                    break
        free.append((last[root], renamed.get(root, root)))
    if not renamed:
        return lines, result
    for view, (parent, suffix) in views.items():
        if roots.get(view) in renamed:
            namespace[view] = eval(renamed.get(parent, parent) + suffix, namespace)  # our text
    for root in renamed:
        del namespace[root]
    pattern = re.compile(r"\b(" + "|".join(renamed) + r")\b")
    lines = [pattern.sub(lambda m: renamed[m.group(1)], line) for line in lines]
    return lines, pattern.sub(lambda m: renamed[m.group(1)], result)


def _keeps_nothing(code: str, assigns_a_local: bool, roots: dict[str, str]) -> bool:
    """Whether the statement ``code`` is of a form that cannot keep what it touches beyond
    the names the pass follows: it calls only the array module's functions (and ``float``,
    ``int``, ...), and it is such a call, an assignment to one local, a write into a buffer
    by index, or a branch."""
    if any(
        not (callee.startswith("xp.") or callee in _HARMLESS_CALLS)
        for callee in _CALLEE.findall(code)
    ):
        return False
    if assigns_a_local or code.startswith(("xp.", "if ", "elif ")) or code == "else:":
        return True
    store = _STORE_BY_INDEX.match(code)
    return store is not None and store.group(1) in roots


def _writes_first(line: str, root: str, roots: dict[str, str]) -> bool:
    """Whether ``line``, at the top level of the body, is one array-module call that writes
    all of ``root`` (``out=root)``) and reads nothing of it."""
    if line != line.lstrip() or not line.startswith("xp.") or not line.endswith(f"out={root})"):
        return False
    reads = line[: -len(f"out={root})")]
    return not any(roots.get(name) == root for name in _NAME.findall(reads))


def _alike(a: Any, b: Any) -> bool:
    """Whether two buffers can hold each other's values: every buffer is made by
    ``empty(shape, dtype)``, so shape and dtype settle its layout too."""
    return a.shape == b.shape and a.dtype == b.dtype
