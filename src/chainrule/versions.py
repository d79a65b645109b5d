"""Version counters: every in-place change of a tensor's data is counted and stamped, so that
``backward`` can refuse an array that changed after an op saved it, as PyTorch does.

Writes are kept per storage, the array that owns the memory, so that every alias of it (a
view made by slicing, ``reshape`` or ``transpose``, a ``detach``-ed tensor) sees one version.
One clock orders graph nodes and writes, so a write can be placed between two nodes; nothing
here runs, and nothing is kept, for arrays that are never changed in place.

Views that the graph did not record (of a tensor that requires no gradient, or made under
``no_grad``) are remembered per storage too, with the tensor each views: an in-place change
that the graph records later is carried between them by ``chainrule.ops.inplace``.
"""

from __future__ import annotations

import itertools
import weakref
from bisect import bisect_right
from typing import Any

from ._backend import is_array

clock = itertools.count(1)
"""The order of events: each graph node takes a tick when it is recorded (``Function.sequence``)
and each in-place write takes one, or shares its node's when the graph records it."""

_KEPT = 64  # the stamps kept per storage to say at which version a node saved it


class Writes:
    """The in-place writes of one storage: how many (its version) and when."""

    __slots__ = ("count", "recent", "recorded")

    def __init__(self) -> None:
        self.count = 0
        self.recent: list[int] = []  # the stamps of the latest writes, at most _KEPT
        self.recorded: list[int] = []  # the stamps of the writes the graph recorded, all

    def version_at(self, stamp: int) -> int | None:
        """The version the storage had at ``stamp``, or None once that is too long ago."""
        later = len(self.recent) - bisect_right(self.recent, stamp)
        if later == len(self.recent) and len(self.recent) < self.count:
            return None
        return self.count - later


_writes: dict[int, Writes] = {}  # id of the owning array -> its writes, while it lives


class Last:
    """The stamps of the latest write to any storage, and of the latest one the graph recorded:
    ``backward`` compares a node's sequence with these before it looks anything up."""

    write = 0
    recorded = 0


def storage(array: Any) -> Any:
    """The array that owns ``array``'s memory (``array`` itself unless it is a view)."""
    base = array.base
    while base is not None and is_array(base):
        array, base = base, base.base
    return array


def writes_of(array: Any) -> Writes | None:
    """The writes to ``array``'s storage, or None if it was never changed in place."""
    return _writes.get(id(storage(array))) if _writes else None


def record_write(array: Any, stamp: int, recorded: bool) -> None:
    """Count a write to ``array``'s storage at ``stamp``, ``recorded`` or not by the graph."""
    owner = array if array.base is None else storage(array)  # a parameter owns its memory
    entry = _writes.get(id(owner))
    if entry is None:
        entry = _first_write(owner)
        if entry is None:
            return
    entry.count += 1
    recent = entry.recent
    recent.append(stamp)
    if len(recent) > _KEPT:
        del recent[: _KEPT // 2]
    if stamp > Last.write:  # an optimizer step writes each parameter: no max() call
        Last.write = stamp
    if recorded:
        entry.recorded.append(stamp)
        if stamp > Last.recorded:
            Last.recorded = stamp


def _first_write(owner: Any) -> Writes | None:
    """A new entry for ``owner``'s writes, kept while it lives; None for an array type
    without weak references, which keeps no versions."""
    key = id(owner)
    try:
        weakref.finalize(owner, _writes.pop, key, None)
    except TypeError:
        return None
    entry = _writes[key] = Writes()
    return entry


def version(array: Any) -> int:
    """How many times ``array``'s storage was changed in place."""
    entry = writes_of(array)
    return 0 if entry is None else entry.count


_borrowed: dict[int, tuple[Any, int]] = {}
"""id of an array -> (the array whose writes count for it, the stamp they count after)."""


def borrow_versions(array: Any, original: Any, after: int = 0) -> None:
    """Count the writes to ``original``'s storage after ``after`` as writes to ``array``, a
    copy of its values that an op saved where PyTorch's op saves the original: a copy in
    another dtype that the op computes with, or the result of an in-place change of a
    view, kept apart from the view's memory. The op's backward then refuses a later change
    of the original, as PyTorch's does."""
    key = id(array)
    try:
        weakref.finalize(array, _borrowed.pop, key, None)
    except TypeError:  # an array type without weak references
        return
    _borrowed[key] = original, after


def lender(array: Any) -> Any:
    """The array whose versions ``array`` borrows, or None."""
    borrowed = _borrowed.get(id(array)) if _borrowed else None
    return None if borrowed is None else borrowed[0]


def stop_borrowing(array: Any) -> None:
    """Count no more writes for ``array`` than its own."""
    _borrowed.pop(id(array), None)


def changed_since(array: Any, stamp: int) -> Writes | None:
    """The writes to ``array``'s storage (or to the array whose versions it borrows) if one
    came after ``stamp``, else None."""
    if not is_array(array):
        return None
    borrowed = _borrowed.get(id(array)) if _borrowed else None
    if borrowed is not None:
        array, after = borrowed
        stamp = max(stamp, after)
    entry = writes_of(array)
    if entry is None or entry.recent[-1] <= stamp:
        return None
    return entry


def recorded_between(array: Any, after: int, before: int) -> bool:
    """Whether the graph recorded a write to ``array``'s storage strictly between two stamps."""
    entry = writes_of(array)
    if entry is None or not entry.recorded:
        return False
    first_later = bisect_right(entry.recorded, after)
    return first_later < len(entry.recorded) and entry.recorded[first_later] < before


_views: dict[int, dict[int, tuple[weakref.ref[Any], Any, bool]]] = {}
"""id of an owning array -> its views made without the graph, by id: (a weak reference to
the view, the tensor it views, whether gradients were enabled then), while the view lives
(and keeps the owner alive). Tensors compare elementwise, so they are kept by id."""


def record_view(view: Any, source: Any, grad_enabled: bool) -> None:
    """Remember tensor ``view``, made while the graph recorded nothing, if its data views
    tensor ``source``'s; ``grad_enabled`` is False for a view made under ``no_grad``."""
    owner = storage(view.data)
    if owner is not storage(source.data):
        return
    key = id(owner)
    views = _views.get(key)
    if views is None:
        views = _views[key] = {}
    at = id(view)

    def forget(_: Any) -> None:  # the view is gone; so is the storage's entry once empty
        views.pop(at, None)
        if not views and _views.get(key) is views:
            del _views[key]

    views[at] = weakref.ref(view, forget), source, grad_enabled


def view_source(view: Any) -> tuple[Any, bool] | None:
    """The tensor that ``view`` views and whether gradients were enabled when it was made,
    for a view made without the graph; else None."""
    views = _views.get(id(storage(view.data))) if _views else None
    entry = None if views is None else views.get(id(view))
    return None if entry is None or entry[0]() is not view else (entry[1], entry[2])


def views_of(array: Any) -> list[Any]:
    """The live views made without the graph of ``array``'s storage."""
    views = _views.get(id(storage(array))) if _views else None
    alive = [] if views is None else [entry[0]() for entry in list(views.values())]
    return [view for view in alive if view is not None]


def forget_view(view: Any) -> None:
    """Stop treating ``view`` as a view made without the graph (the graph records it now)."""
    views = _views.get(id(storage(view.data))) if _views else None
    if views is not None:
        views.pop(id(view), None)
