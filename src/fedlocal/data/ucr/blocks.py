"""The rows of a sheet grouped into MSA blocks: header, county text, principal cities, totals rows and
Metropolitan Division sub-blocks (from 2003), read by their labels."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fedlocal.data.ucr import CRIMES
from fedlocal.data.ucr.cells import clean_label, to_number
from fedlocal.data.ucr.layout import Layout, find_layout, row_kind


@dataclass
class Block:
    """One MSA (or Metropolitan Division) as the sheet prints it."""

    name: str
    population: float
    text: list[str] = field(default_factory=list)
    rows: dict[str, dict] = field(default_factory=dict)
    started: bool = False  # a data row was seen (ends the county text)
    divisions: list[Block] = field(default_factory=list)
    cities: list[dict] = field(default_factory=list)


def _row_values(row, layout: Layout) -> dict[str, float]:
    return {f: to_number(row[j]) for f, j in layout.cols.items()}


def parse_blocks(sheet: pd.DataFrame) -> list[Block]:
    """The MSA blocks of one raw sheet, in table order; divisions hang under their MSA."""
    layout = find_layout(sheet)
    blocks: list[Block] = []
    current: Block | None = None  # the block rows go to: an MSA or one of its divisions
    # the cells as one object array: the same objects as sheet.iloc[i].iloc[c], without a pandas row per line (the
    # eighteen sheets have ~40,000 rows; row-by-row indexing took ~10 s of stage 06)
    cells = sheet.to_numpy(dtype=object)
    for i in range(layout.header_row + 1, len(sheet)):
        row = cells[i]
        texts = [clean_label(row[c]) for c in layout.label_cols]
        texts = [t for t in texts if t]
        if not texts:
            continue
        label, extra = texts[0], " ".join(texts[1:])
        kind = row_kind(label)
        values = _row_values(row, layout)
        numeric = any(not np.isnan(values[f]) for f in CRIMES)
        if kind == "footnote" and not numeric:
            break
        if kind in ("msa", "md"):
            block = Block(name=label, population=values["population"], text=[extra] if extra else [])
            if kind == "msa":
                blocks.append(block)
            elif blocks:
                blocks[-1].divisions.append(block)
            current = block
            continue
        if current is None:
            continue
        if kind in ("reporting", "estimated"):
            current.rows[kind] = values
            current.started = True
        elif kind == "rate":
            current.started = True
        elif numeric:  # a principal city ('City of X', or a name under a 'City of:' heading)
            current.started = True
            name = re.sub(r"^city of\s*:?\s*", "", label, flags=re.I).strip()
            current.cities.append({"city": name, **values})
        elif label.lower().rstrip(" :") == "city of":
            current.started = True
        elif not current.started:
            current.text.append(" ".join([label, extra]).strip())
    return blocks
