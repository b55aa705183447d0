"""The published pattern as data, and the comparisons built on it."""

import pandas as pd
import pytest

from fedlocal.models import pattern
from fedlocal.vocab import GROUPS, POLICIES


def estimates(or_by_cell):
    rows = [{"model": "hybrid_logit", "group": g, "policy": p, "odds_ratio": o, "ci_low": o / 1.3, "ci_high": o * 1.3,
             "p_value": pv} for (p, g), (o, pv) in or_by_cell.items()]
    return pd.DataFrame(rows)


def test_published_pattern_covers_every_cell_once():
    cells = {(p, g) for p, g, _, _ in pattern.PUBLISHED}
    assert len(cells) == len(pattern.PUBLISHED) == len(POLICIES) * (len(GROUPS) + 1)
    higher = {(p, g) for p, g, f, _ in pattern.PUBLISHED if f == "higher"}
    assert higher == {("sc", "all"), ("sc", "latino"), ("tfm", "latino")}


def test_finding_categories():
    assert pattern.finding(1.3, 0.01) == "higher"
    assert pattern.finding(0.7, 0.01) == "lower"
    assert pattern.finding(1.3, 0.2) == "n.s."
    assert pattern.finding(1.3, float("nan")) == "n.s."


def test_agreement_is_cell_by_cell():
    cells = {(p, g): (1.0, 0.5) for p in POLICIES for g in ("all",) + GROUPS}
    cells[("sc", "latino")] = (1.5, 0.001)
    cells[("jem", "white")] = (0.6, 0.001)
    out = pattern.published_pattern(estimates(cells)).set_index(["policy", "group"])
    assert out.loc[("sc", "latino"), "agrees"]
    assert not out.loc[("sc", "all"), "agrees"]  # published higher, estimated n.s.
    assert not out.loc[("jem", "white"), "agrees"] and out.loc[("jem", "white"), "estimated"] == "lower"
    assert out["agrees"].sum() == 16 - 3


def test_planted_vs_estimated_fills_unplanted_cells_with_one():
    cells = {(p, g): (1.0, 0.5) for p in POLICIES for g in GROUPS}
    cells[("sc", "latino")] = (1.05, 0.5)
    planted = pd.DataFrame({"policy": ["sc"], "group": ["latino"], "odds_ratio": [1.5]})
    out = pattern.planted_vs_estimated(estimates(cells), planted).set_index(["policy", "group"])
    assert len(out) == 12
    assert out.loc[("sc", "latino"), "planted"] == 1.5 and not out.loc[("sc", "latino"), "covered"]
    assert out.loc[("jem", "black"), "planted"] == 1.0 and out.loc[("jem", "black"), "covered"]
    assert out["covered"].sum() == pytest.approx(11)


def test_nothing_planted_gives_an_empty_comparison():
    out = pattern.planted_vs_estimated(estimates({("sc", "latino"): (1.0, 0.5)}), None)
    assert out.empty and list(out.columns) == pattern.COMPARISON_COLUMNS
