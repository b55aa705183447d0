"""Where one year's sheet keeps its header, labels and numbers, and what kind of row a label starts.

Layouts differ by year (12-15 columns, header on row 3 or 4, labels in one or two columns), so each
field's column is found from the header text, never by position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from fedlocal.data.ucr import UcrError

_HEADER_FIELDS = (  # (field, test on the normalized header text); first match wins, left to right
    ("population", lambda h: h.startswith("population")),
    ("violent", lambda h: h.startswith("violent")),
    ("murder", lambda h: h.startswith("murder")),
    ("rape", lambda h: "rape" in h),
    ("robbery", lambda h: h.startswith("robbery")),
    ("agg_assault", lambda h: h.startswith("aggravated")),
)


@dataclass
class Layout:
    """Where one year's sheet keeps its header, labels and numbers."""

    header_row: int
    label_cols: list[int]
    cols: dict[str, int]


def find_layout(sheet: pd.DataFrame) -> Layout:
    """Locate the header row (the one with 'Population') and the column of each field."""
    for i in range(min(len(sheet), 12)):
        texts = [" ".join(str(v).split()).lower() if isinstance(v, str) else "" for v in sheet.iloc[i]]
        if "population" not in texts:
            continue
        cols: dict[str, int] = {}
        for j, h in enumerate(texts):
            h = re.sub(r"[\d]+$", "", h).strip()
            for name, test in _HEADER_FIELDS:
                if name not in cols and h and test(h):
                    cols[name] = j
                    break
        missing = [f for f, _ in _HEADER_FIELDS if f not in cols]
        if missing:
            raise UcrError(f"MSA table header on row {i} lacks columns {missing}; found {texts}.")
        return Layout(header_row=i, label_cols=list(range(cols["population"])), cols=cols)
    raise UcrError("no header row with 'Population' in the first 12 rows of the MSA table: not a CIUS MSA table?")


_MSA = re.compile(r"M\.\s?S\.\s?A\.?$")
_MD = re.compile(r"M\.\s?D\.?$")


def row_kind(label: str) -> str:
    """'msa' or 'md' (a block header), 'reporting', 'estimated' or 'rate' (a totals row), 'footnote' or 'other'."""
    low = label.lower()
    if _MSA.search(label):
        return "msa"
    if _MD.search(label):
        return "md"
    if low.startswith("total area actually reporting"):
        return "reporting"
    if low.startswith("estimated total"):
        return "estimated"
    if low.startswith("rate per"):
        return "rate"
    if re.match(r"^(\d{1,2}\s|note\b|dashes\b)", low):
        return "footnote"
    return "other"
