"""Tables for the chapters' tabular results.

Several lines that share one structure are a table, not a padded printout: a
screen reader announces a table's rows and columns, and a narrow screen scrolls
it instead of wrapping the padding into a mess.  ``table`` builds a GitHub /
MyST Markdown pipe table that a chapter shows with ``display``::

    display(widgets.tables.table(["z", "sigmoid(z)"], [["0", "0.5"]]))

The cells are written as given (``str`` of each value), so a chapter formats
its numbers itself, at the digits it means to show.
"""
from __future__ import annotations

import numbers
import re
from collections.abc import Sequence

from IPython.display import Markdown

__all__ = ["table"]

#: Markdown's alignment row for each alignment letter
_RULES = {"l": ":--", "r": "--:", "c": ":-:"}

#: a number as a chapter prints one: sign, digits with optional thousands
#: separators, decimals, exponent, an optional percent sign; or inf / nan
_NUMBER = re.compile(
    r"[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?%?"
    r"|[+-]?(?:inf|nan)",
    re.IGNORECASE,
)


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Number):  # also NumPy's scalars
        return True
    return isinstance(value, str) and _NUMBER.fullmatch(value.strip()) is not None


def _cell(value, where: str) -> str:
    text = str(value)
    if "\n" in text or "\r" in text:
        raise ValueError(f"table: {where} contains a line break, which would "
                         f"end the table row: {text!r}")
    return text.strip().replace("|", "\\|")


def _alignment(align, columns: int, rows) -> list[str]:
    if align is None:
        letters = []
        for j in range(columns):
            values = [row[j] for row in rows if str(row[j]).strip()]
            numeric = bool(values) and all(_is_number(v) for v in values)
            letters.append("r" if numeric else "l")
        return letters
    letters = list(align)
    if len(letters) != columns:
        raise ValueError(f"table: align has {len(letters)} entries for "
                         f"{columns} columns")
    bad = [a for a in letters if a not in _RULES]
    if bad:
        raise ValueError(f"table: align entries must be 'l', 'r' or 'c', "
                         f"got {bad[0]!r}")
    return letters


def table(header: Sequence, rows: Sequence[Sequence], align=None) -> Markdown:
    """A Markdown pipe table, ready for ``IPython.display.display``.

    Parameters
    ----------
    header : sequence
        The column titles, one per column (at least one).
    rows : sequence of sequences
        The table's rows, each with exactly one cell per column.  A cell is
        written as ``str(cell)`` with its surrounding spaces removed, so format
        numbers before passing them (``f"{v:.4f}"``) to fix the digits shown.
        A ``|`` in a cell or a title is escaped as ``\\|``, so it shows as a
        character instead of splitting the cell.
    align : str or sequence of str, optional
        One letter per column: ``"l"`` (left), ``"r"`` (right) or ``"c"``
        (centre), e.g. ``"lrr"``.  By default a column whose every non-empty
        cell is a number (an int or a float, or a string that reads as one,
        such as ``"-1.5e-03"``, ``"1,000"`` or ``"12%"``) is right-aligned,
        so that its digits line up, and any other column left-aligned.

    Returns
    -------
    IPython.display.Markdown
        The table; its ``.data`` is the Markdown text, header row, alignment
        row, then one line per row.

    Raises
    ------
    ValueError
        If the header is empty or a string, a row is not a sequence or has a
        different number of cells from the header, a cell contains a line
        break, or ``align`` does not give one valid letter per column.
    """
    if isinstance(header, str):
        raise ValueError("table: the header must be a sequence of column "
                         "titles, not one string")
    header = list(header)
    if not header:
        raise ValueError("table: the header needs at least one column title")
    columns = len(header)
    if isinstance(rows, str):
        raise ValueError("table: rows must be a sequence of rows, not a "
                         "string")
    checked = []
    for i, row in enumerate(rows):
        if isinstance(row, str) or not hasattr(row, "__iter__"):
            raise ValueError(f"table: row {i} must be a sequence of cells, "
                             f"got {type(row).__name__}")
        row = list(row)
        if len(row) != columns:
            raise ValueError(f"table: row {i} has {len(row)} cells, but the "
                             f"header has {columns} columns")
        checked.append(row)
    rows = checked
    letters = _alignment(align, columns, rows)
    lines = [
        "| " + " | ".join(_cell(h, f"header cell {j}")
                          for j, h in enumerate(header)) + " |",
        "|" + "|".join(_RULES[a] for a in letters) + "|",
    ]
    for i, row in enumerate(rows):
        lines.append("| " + " | ".join(_cell(v, f"row {i}, cell {j}")
                                       for j, v in enumerate(row)) + " |")
    return Markdown("\n".join(lines))
