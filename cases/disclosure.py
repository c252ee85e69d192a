"""Small-count suppression for published tables (statistics page, CSV downloads).

A count of 1 to k-1 people can point at a person ("girls aged 9–17 in sexual exploitation: 1"),
so it is never published. Hiding it is not enough when totals are published too: a row total
minus the row's other cells gives it back. The published numbers of a section are a set of
cells tied by linear equations (a row's cells sum to its total, a panel's cell is the sum of
age bands, …); a hidden cell is *derivable* when those equations and the shown cells fix its
value. `suppress` hides every cell below k (primary suppression), then hides more cells
(complementary suppression, the smallest first) until no hidden cell is derivable.

0 is always shown: "nobody" points at no one, and hiding zeros would hide that a cell is empty.

Derivability is exact linear algebra over the rationals: with the equations restricted to the
hidden cells (shown cells move to the constant side), a hidden cell's value is fixed exactly when
its unit vector lies in the row space of that restricted system, which the reduced row echelon
form shows directly (some row of it has a single non-zero entry, at that cell).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from fractions import Fraction

Key = Hashable
# One equation: sum(coefficient × cell value) == 0.
Equation = Sequence[tuple[Key, int]]

# How a hidden cell reads on the page and in CSV downloads ("c" for confidential, as statistics
# offices print it).
HIDDEN = "[c]"


def is_publishable(value: int, k: int) -> bool:
    """Shown as it is: zero, or at least k."""
    return value == 0 or value >= k


def count_text(value: int, k: int) -> str:
    """A count standing alone in a sentence: the number, or 'fewer than k'."""
    return str(value) if is_publishable(value, k) else f"fewer than {k}"


def derivable(hidden: Iterable[Key], equations: Iterable[Equation]) -> set[Key]:
    """The hidden cells whose value the equations fix, given every other cell's value."""
    columns = sorted(set(hidden), key=repr)
    if not columns:
        return set()
    index = {key: i for i, key in enumerate(columns)}
    rows = []
    for equation in equations:
        row = [Fraction(0)] * len(columns)
        for key, coefficient in equation:
            if key in index:
                row[index[key]] += coefficient
        if any(row):
            rows.append(row)
    # Reduced row echelon form.
    pivot_row = 0
    pivots: list[tuple[int, int]] = []
    for col in range(len(columns)):
        found = next((r for r in range(pivot_row, len(rows)) if rows[r][col] != 0), None)
        if found is None:
            continue
        rows[pivot_row], rows[found] = rows[found], rows[pivot_row]
        lead = rows[pivot_row][col]
        rows[pivot_row] = [value / lead for value in rows[pivot_row]]
        for r in range(len(rows)):
            if r != pivot_row and rows[r][col] != 0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[pivot_row], strict=True)]
        pivots.append((pivot_row, col))
        pivot_row += 1
        if pivot_row == len(rows):
            break
    fixed = set()
    for r, col in pivots:
        if sum(1 for value in rows[r] if value != 0) == 1:
            fixed.add(columns[col])
    return fixed


def suppress(values: Mapping[Key, int], equations: Sequence[Equation], k: int) -> frozenset[Key]:
    """The cells to hide so that no published count is below k (except 0) and no hidden one can
    be worked out from the published ones through `equations`.
    """
    hidden = {key for key, value in values.items() if not is_publishable(value, k)}
    if not hidden:
        return frozenset()
    partners: dict[Key, set[Key]] = {key: set() for key in values}
    for equation in equations:
        keys = [key for key, _ in equation]
        for key in keys:
            partners.setdefault(key, set()).update(keys)

    def cost(key: Key) -> tuple:
        value = values[key]
        # Hide a non-zero cell rather than a zero (a hidden zero can be pinned by the fact that
        # counts are not negative), and the smallest such: the least information lost.
        return (value == 0, value, repr(key))

    while True:
        exposed = derivable(hidden, equations)
        if not exposed:
            return frozenset(hidden)
        target = min(exposed, key=repr)
        candidates = [key for key in partners.get(target, ()) if key not in hidden]
        if not candidates:
            candidates = [key for key in values if key not in hidden]
        if not candidates:
            return frozenset(hidden)  # everything is hidden already
        hidden.add(min(candidates, key=cost))
