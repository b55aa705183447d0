"""Table-cell text for model results; a model that could not be estimated shows a dash, never 'nan'."""

from __future__ import annotations

import math

DASH = "–"  # not estimable (too few informative persons or counties, or separation)


def _ok(*xs) -> bool:
    try:
        return all(math.isfinite(float(x)) for x in xs)
    except (TypeError, ValueError):
        return False


def num(x, digits: int = 2) -> str:
    return f"{x:.{digits}f}" if _ok(x) else DASH


def ci(lo, hi, digits: int = 2) -> str:
    return f"{lo:.{digits}f}–{hi:.{digits}f}" if _ok(lo, hi) else DASH


def or_ci(odds_ratio, lo, hi) -> str:
    """'1.23 (1.01–1.50)'."""
    return f"{odds_ratio:.2f} ({lo:.2f}–{hi:.2f})" if _ok(odds_ratio, lo, hi) else DASH


def pp_ci(est, lo, hi) -> str:
    """Percentage points with sign: '+0.12 (−0.05, +0.29)'."""
    return f"{est:+.2f} ({lo:+.2f}, {hi:+.2f})" if _ok(est, lo, hi) else DASH


def p_value(p) -> str:
    if not _ok(p):
        return DASH
    return "<0.001" if p < 0.001 else f"{p:.3f}"
