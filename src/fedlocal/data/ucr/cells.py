"""What one cell of an MSA table says: a row label, an MSA's name and states, or a number."""

from __future__ import annotations

import re

import numpy as np

from fedlocal.data.counties import STATES

_FOOTNOTE_TAIL = re.compile(r"(?<=[A-Za-z.\s])\d{1,2}(?:\s*,\s*\d{1,2})*\s*$")
_MSA_SUFFIX = re.compile(r"\s*M\.\s?S\.\s?A\.?$")


def clean_label(text) -> str:
    """A row label without surrounding space, line breaks or trailing footnote markers ('Akron, OH M.S.A.2, 3')."""
    if not isinstance(text, str):
        return ""
    s = " ".join(text.split())
    return _FOOTNOTE_TAIL.sub("", s).strip()


def msa_name(label: str) -> str:
    """An MSA header label without its 'M.S.A.' suffix, as the tables name the area ('Boise, ID')."""
    return _MSA_SUFFIX.sub("", label).strip()


def msa_states(name: str) -> list[str]:
    """USPS codes in an MSA name ('Louisville/Jefferson County, KY-IN M.S.A.' -> ['KY', 'IN'])."""
    tail = name.split(",", 1)[1] if "," in name else ""
    valid = set(STATES.values())
    out = []
    for s in re.findall(r"\b[A-Z]{2}\b", tail):
        if s in valid and s not in out:
            out.append(s)
    return out


def to_number(value) -> float:
    """A table cell as a number: '-' is a zero report, blanks and text are missing."""
    if value is None:
        return np.nan
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    s = str(value).strip()
    if s in ("-", "\u2013", "\u2014"):
        return 0.0
    s = s.replace(",", "")
    try:
        return float(s)
    except ValueError:
        return np.nan
