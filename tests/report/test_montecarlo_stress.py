"""report.montecarlo_stress: the stress study's table and variables from a summary with known rates."""

import numpy as np
import pandas as pd
import pytest

from fedlocal.report import montecarlo_stress as rs
from fedlocal.vocab import GROUPS, POLICIES


def _summary(world, sc_rejection, other_rejection, planted=("sc", "latino"), power=0.4, fits=100):
    rows = []
    for p in POLICIES:
        for g in GROUPS:
            is_planted = (p, g) == planted
            rate = power if is_planted else (sc_rejection if p == "sc" else other_rejection)
            rows.append({"world": world, "policy": p, "group": g, "estimator": "hybrid_logit",
                         "truth": np.log(1.2) if is_planted else 0.0, "n_replications": fits, "n_failed": 0,
                         "n_fits": fits, "bias": -0.01 if is_planted else 0.0, "coverage": 1 - rate,
                         "rejection_rate": rate, "rejection_low": rate - 0.04, "rejection_high": rate + 0.06})
    return pd.DataFrame(rows)


def test_the_table_pools_size_over_cells_without_effect_and_isolates_the_sc_cells():
    summary = pd.concat([_summary("planted", 0.05, 0.05), _summary("harder", 0.30, 0.05)], ignore_index=True)
    got = rs.table(summary).set_index("world")
    cells = len(POLICIES) * len(GROUPS) - 1
    sc_cells = len(GROUPS) - 1
    assert got.loc["planted", "size"] == pytest.approx(0.05)
    assert got.loc["harder", "size"] == pytest.approx((0.30 * sc_cells + 0.05 * (cells - sc_cells)) / cells)
    assert got.loc["harder", "sc_size"] == pytest.approx(0.30) and got.loc["planted", "sc_size"] == pytest.approx(0.05)
    assert got.loc["harder", "size_low"] < got.loc["harder", "size"] < got.loc["harder", "size_high"]
    assert got.loc["harder", "size_cells_above"] == sc_cells and got.loc["planted", "size_cells_above"] == 0
    assert got.loc["harder", "power_sc_latino"] == pytest.approx(0.4) and got.loc["harder", "null_cells"] == cells


def test_display_and_variables_name_worlds_and_cells():
    summary = pd.concat([_summary("planted", 0.05, 0.05), _summary("harder", 0.30, 0.05)], ignore_index=True)
    table = rs.table(summary)
    shown = rs.display(table, 100, 0.25)
    assert list(shown["World"]) == [rs.WORLD_LABELS["planted"], rs.WORLD_LABELS["harder"]]
    assert any(c.startswith("Power, ") for c in shown.columns) and "100 synthetic panels" in shown.attrs["note"]
    values = rs.variables(table, 100, 0.25, ["planted", "harder"], {"county_year_sd": 0.149, "pretrend_per_year": 0.049},
                          0.0)
    assert values["harder_hybrid_sc_size"] == "30.0" and values["planted_hybrid_sc_size"] == "5.0"
    assert values["harder_hybrid_power_sc_latino"] == "40.0" and values["replications"] == 100
    assert values["county_year_sd"] == "0.149" and values["time_in_sample"] == "0.000"


def test_a_world_without_successful_fits_shows_a_dash_not_an_empty_interval():
    summary = _summary("harder", 0.3, 0.05)
    summary[["n_fits", "rejection_rate", "coverage"]] = [0, np.nan, np.nan]
    shown = rs.display(rs.table(summary), 2, 0.02)
    assert shown.loc[0, "Size, cells without effect (95% CI)"] == rs.DASH
    assert shown.loc[0, "Coverage (lowest cell)"] == rs.DASH
