"""report.montecarlo: which world each column of the stage-07 table comes from, on hand-built replications."""

import math

import numpy as np
import pandas as pd

from fedlocal.montecarlo import replicate, summary
from fedlocal.report import montecarlo as report


def _results(world, rejects: int, n: int = 40):
    """n replications of every policy x group x estimator cell of `world`; the first `rejects` reject."""
    rows = []
    for (policy, group), truth in world.truth.items():
        for estimator in report.ESTIMATOR_LABELS:
            for r in range(n):
                z = 3.0 if r < rejects else 0.1
                rows.append((world.name, r, policy, group, estimator, truth + z * 0.2 if truth == 0 else z * 0.2, 0.2))
    return pd.DataFrame(rows, columns=["world", "replication", "policy", "group", "estimator", "estimate", "se"])


def test_size_from_the_null_world_power_from_planted_cells_and_mde_from_the_shifted_null():
    worlds = replicate.study_worlds(["null", "planted", "grid"], {"sc": {"latino": 1.2}}, [2.0], 0.1)
    null, planted, grid = worlds
    results = pd.concat([_results(null, 2), _results(planted, 10), _results(grid, 36)], ignore_index=True)
    summarized = summary.summarize(results, worlds)
    null_results = results.loc[results["world"] == "null"]
    curve = summarized.loc[summarized["world"] != "planted"]
    table = report.cells(summarized, null_results, summary.minimum_detectable(curve))
    assert len(table) == 4 * 3 * 2
    row = table.set_index(["policy", "group", "estimator"]).loc[("sc", "latino", "hybrid_logit")]
    assert row["size"] == 2 / 40
    assert row["power"] == 10 / 40 and math.isclose(row["planted_or"], 1.2)
    assert row["reached"] and 1.0 < row["mde_or"] < 2.0  # grid worlds: 80% between OR 1 (5%) and 2 (90%)
    # null estimates 0.6 (2 of 40) and 0.02 (38 of 40), SE 0.2: shifted by log(1.2) = 0.18, only the two reject;
    # 80% needs 0.02 + d > 1.96 * 0.2, d >= 0.372, OR >= 1.45
    assert row["power_shift"] == 2 / 40
    assert math.isclose(row["mde_or_shift"], math.exp(0.392 - 0.02), rel_tol=0.002)
    sd = np.std([0.6] * 2 + [0.02] * 38, ddof=1)
    assert math.isclose(row["mde_or_normal"], math.exp((summary.Z975 + summary.Z80) * sd))
    unplanted = table.set_index(["policy", "group", "estimator"]).loc[("jem", "white", "conditional_logit")]
    assert np.isnan(unplanted["power"])
    shown = report.cells_display(table, 40, 0.1)
    assert shown.loc[0, "Power at planted OR (95% CI)"].endswith("at 1.20")
    assert (shown["Power at planted OR (95% CI)"] == "not planted").sum() == 22
    assert shown.loc[0, "MDE OR, shifted null"] == "1.45"
    values = report.variables(table, summarized, 40, 0.1, [w.name for w in worlds], "serial")
    assert values["sc_latino_hybrid_size"] == "5.0" and values["sc_latino_hybrid_power"] == "25.0"
    assert values["sc_latino_hybrid_power_shift"] == "5.0" and values["sc_latino_hybrid_mde_shift"] == "1.45"
    assert values["hybrid_shift_cells"] == 1 and values["hybrid_shift_within"] == 0
    assert values["grid"] == "2.00" and values["replications"] == 40


def test_without_grid_worlds_the_table_has_no_grid_column_and_the_figure_draws(tmp_path):
    worlds = replicate.study_worlds(["null", "planted"], {"tfm": {"latino": 1.5}}, [2.0], 0.1)
    results = pd.concat([_results(worlds[0], 2), _results(worlds[1], 20)], ignore_index=True)
    summarized = summary.summarize(results, worlds)
    null_results = results.loc[results["world"] == "null"]
    table = report.cells(summarized, null_results)
    shown = report.cells_display(table, 40, 1.0)
    assert "MDE OR, grid worlds" not in shown.columns and len(shown.columns) == len(shown.attrs["align"])
    figure = report.power_curves(summarized, null_results, 3.0, 40, 1.0)
    assert len(figure.axes) == 4 and all(ax.lines for ax in figure.axes)


def test_power_curve_axis_labels_do_not_run_into_each_other():
    """The two stacked y labels of the 2 x 2 panel each fit beside their own panel (seaborn's larger type)."""
    import matplotlib

    matplotlib.use("Agg")
    from fedlocal.report import setup_matplotlib

    setup_matplotlib()
    worlds = replicate.study_worlds(["null", "planted"], {"sc": {"latino": 1.5}}, [2.0], 0.1)
    results = pd.concat([_results(w, 10) for w in worlds], ignore_index=True)
    fig = report.power_curves(summary.summarize(results, worlds), results.loc[results["world"] == "null"], 2.5, 40, 0.1)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [ax.yaxis.label.get_window_extent(renderer) for ax in fig.axes if ax.get_ylabel()]
    assert len(boxes) == 2
    upper, lower = sorted(boxes, key=lambda b: -b.y0)
    assert lower.y1 < upper.y0, "the y labels of the two rows overlap"
    for ax in fig.axes:
        label = ax.yaxis.label.get_window_extent(renderer)
        assert label.y0 >= ax.get_window_extent(renderer).y0 - 2, "a y label runs below its panel"


def test_a_planted_cell_whose_fits_all_failed_keeps_its_variables():
    """A tiny study (the CI run) in which one estimator never converged: the manuscript's variables exist, as '–'."""
    worlds = replicate.study_worlds(["null", "planted"], {"sc": {"latino": 1.2}}, [], 0.1)
    results = pd.concat([_results(w, 2) for w in worlds], ignore_index=True)
    failed = (results["estimator"] == "conditional_logit") & (results["policy"] == "sc") & (results["group"] == "latino")
    results.loc[failed, ["estimate", "se"]] = np.nan
    summarized = summary.summarize(results, worlds)
    table = report.cells(summarized, results.loc[results["world"] == "null"])
    values = report.variables(table, summarized, 40, 0.1, [w.name for w in worlds], "serial")
    assert values["sc_latino_clogit_power"] == "–" and values["sc_latino_clogit_power_ci"] == "–"
    assert values["sc_latino_hybrid_power"] == "5.0"
    assert "jem_white_clogit_power" not in values  # not planted: no power to report
