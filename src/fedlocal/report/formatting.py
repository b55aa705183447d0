"""Numbers as the manuscript prints them: one set of formatters for table cells and quoted values.

Anything that could not be estimated (NaN, infinite, missing) prints as a dash, never as 'nan'.
"""

from __future__ import annotations

import math
from datetime import datetime

DASH = "–"  # not estimable (too few informative persons or counties, or separation)


def _finite(*xs) -> bool:
    try:
        return all(math.isfinite(float(x)) for x in xs)
    except (TypeError, ValueError):
        return False


def fmt_int(x) -> str:
    """'12,345'."""
    return f"{int(round(float(x))):,}" if _finite(x) else DASH


def fmt_num(x, digits: int = 2) -> str:
    """'1,234.57' with `digits` decimals."""
    return f"{float(x):,.{digits}f}" if _finite(x) else DASH


def fmt_pct(x, digits: int = 1) -> str:
    """A share (0-1) as a percentage string without the % sign."""
    return f"{100 * float(x):.{digits}f}" if _finite(x) else DASH


def fmt_month(year_month: str) -> str:
    """'January 2013' from '2013-01'."""
    return datetime.strptime(year_month, "%Y-%m").strftime("%B %Y")


def fmt_ci(lo, hi, digits: int = 2) -> str:
    """'0.95–1.32'."""
    return f"{lo:.{digits}f}–{hi:.{digits}f}" if _finite(lo, hi) else DASH


def fmt_or_ci(odds_ratio, lo, hi) -> str:
    """'1.23 (1.01–1.50)'."""
    return f"{odds_ratio:.2f} ({lo:.2f}–{hi:.2f})" if _finite(odds_ratio, lo, hi) else DASH


def fmt_pp_ci(est, lo, hi) -> str:
    """Percentage points with sign: '+0.12 (−0.05, +0.29)'."""
    return f"{est:+.2f} ({lo:+.2f}, {hi:+.2f})" if _finite(est, lo, hi) else DASH


def fmt_p(p) -> str:
    """'0.046', or '<0.001'."""
    if not _finite(p):
        return DASH
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def fmt_p_clause(p) -> str:
    """'p = 0.046', or 'p < 0.001' (not 'p = <0.001')."""
    text = fmt_p(p)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"
