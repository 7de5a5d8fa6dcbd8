"""CSV that a spreadsheet opens as data, never as formulas (OWASP "CSV Injection").

A text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with
a leading single quote (``'=1+2``), which spreadsheets show as text. Integer cells (amounts in
minor units, rates in bps) are written as plain numbers and never prefixed, so ``-120`` stays the
number -120: the decision is made on the cell's type, not on its text, so an id that merely looks
like a negative number (``"-120"`` as an order id) is still quoted. ``None`` is an empty cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """``value`` as a cell: integers unchanged, text quoted when it could start a formula."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A header of ``columns`` and one line per row, every cell through ``safe_cell``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_cell(column) for column in columns])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
