"""Stage 07's second study: how the paper's estimators fare in worlds built to make them fail, beside plain worlds.

Input: ``montecarlo.summary.summarize`` over the stress study's worlds (e.g. ``null``, ``planted``,
``pretrend``, ``harder``, all at the stress study's size). Per world and estimator: the rejection rate of the
5% test over the cells where nothing is planted (the size, which the stressors should not move if the
estimator is robust to them), over the Secure Communities cells alone (the only policy the pre-trend touches),
the coverage of the 95% interval over all cells, and the power and bias in each planted cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fedlocal.montecarlo.summary import wilson_interval
from fedlocal.report.formatting import DASH, fmt_int, fmt_num, fmt_pct
from fedlocal.report.montecarlo import ESTIMATOR_KEYS, ESTIMATOR_LABELS
from fedlocal.vocab import GROUP_LABELS, POLICY_LABELS

WORLD_LABELS = {"null": "plain, no effect", "planted": "plain, planted effects", "shocks": "county x year shocks",
                "pretrend": "adopters trending before adoption, no effect",
                "harder": "planted effects + shocks + pre-trend"}
PRETREND_POLICY = "sc"  # synthetic.stress.pretrend_effects acts before Secure Communities activation


def _pooled_rate(part: pd.DataFrame, rate: str) -> tuple[float, float, float]:
    """A rate pooled over cells (weighted by their successful fits) with its Wilson 95% interval."""
    n = part["n_fits"].to_numpy(float)
    if n.sum() == 0:
        return np.nan, np.nan, np.nan
    k = float(np.sum(part[rate].to_numpy(float) * n))
    low, high = wilson_interval(k, n.sum())
    return k / n.sum(), float(low), float(high)


def table(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per world x estimator: size over the cells without an effect (pooled, its Wilson interval, the
    largest cell and how many cells reject more than 5% beyond binomial error), size over the SC cells, coverage
    (pooled and lowest cell), and per planted cell its power and bias. The pooled intervals treat the cells as
    independent, which they are not (the same panels): read them as a lower bound on the uncertainty."""
    rows = []
    for (world, estimator), part in summary.groupby(["world", "estimator"], sort=False):
        nulls = part.loc[part["truth"] == 0]
        size, size_low, size_high = _pooled_rate(nulls, "rejection_rate")
        sc_size, sc_low, sc_high = _pooled_rate(nulls.loc[nulls["policy"] == PRETREND_POLICY], "rejection_rate")
        coverage, _, _ = _pooled_rate(part, "coverage")
        row = {"world": world, "estimator": estimator, "replications": int(part["n_replications"].max()),
               "failed_fits": int(part["n_failed"].sum()), "null_cells": int(len(nulls)),
               "size": size, "size_low": size_low, "size_high": size_high,
               "size_max": float(nulls["rejection_rate"].max()) if len(nulls) else np.nan,
               "size_cells_above": int((nulls["rejection_low"] > 0.05).sum()),
               "sc_size": sc_size, "sc_size_low": sc_low, "sc_size_high": sc_high,
               "coverage": coverage, "coverage_min": float(part["coverage"].min())}
        for r in part.loc[part["truth"] != 0].itertuples():
            row[f"power_{r.policy}_{r.group}"] = r.rejection_rate
            row[f"bias_{r.policy}_{r.group}"] = r.bias
        rows.append(row)
    return pd.DataFrame(rows)


def display(stress_table: pd.DataFrame, replications: int, scale: float) -> pd.DataFrame:
    """The manuscript table: one row per world x estimator, rates in percent."""
    out = pd.DataFrame({
        "World": stress_table["world"].map(lambda w: WORLD_LABELS.get(w, w)),
        "Estimator": stress_table["estimator"].map(ESTIMATOR_LABELS),
        "Size, cells without effect (95% CI)": [
            f"{fmt_pct(r.size, 1)} ({fmt_pct(r.size_low, 0)}–{fmt_pct(r.size_high, 0)})" if pd.notna(r.size) else DASH
            for r in stress_table.itertuples()],
        "Largest cell": stress_table["size_max"].map(lambda v: fmt_pct(v, 0)),
        "Size, SC cells": stress_table["sc_size"].map(lambda v: fmt_pct(v, 1)),
        "Coverage (lowest cell)": [f"{fmt_pct(r.coverage, 1)} ({fmt_pct(r.coverage_min, 0)})"
                                   if pd.notna(r.coverage) else DASH for r in stress_table.itertuples()],
    })
    for col in [c for c in stress_table.columns if c.startswith("power_")]:
        policy, group = col.removeprefix("power_").split("_", 1)
        out[f"Power, {POLICY_LABELS[policy]} × {GROUP_LABELS[group]}"] = stress_table[col].map(
            lambda v: DASH if pd.isna(v) else fmt_pct(v, 0))
    out.attrs["note"] = (f"{replications} synthetic panels per world at {fmt_num(scale, 2)} of the paper's sample "
                         "(every treated county at every scale; fewer persons per county). Size: rejection rate of "
                         "the 5% test where nothing is planted, pooled over cells; '–': no effect planted in that world.")
    return out


def variables(stress_table: pd.DataFrame, replications: int, scale: float, worlds: list[str],
              calibration: dict, time_in_sample: float) -> dict:
    """Numbers for the manuscript (namespace ``stress``), keyed ``<world>_<estimator>_<what>``, plus the study's size."""
    values = {"replications": int(replications), "scale": fmt_num(scale, 2), "world_names": ", ".join(worlds),
              "fits": fmt_int(int(stress_table["replications"].sum())),
              "failed_fits": fmt_int(int(stress_table["failed_fits"].sum())),
              "time_in_sample": fmt_num(time_in_sample, 3),
              "county_year_sd": fmt_num(calibration["county_year_sd"], 3),
              "pretrend_per_year": fmt_num(calibration["pretrend_per_year"], 3)}
    for r in stress_table.itertuples():
        key = f"{r.world}_{ESTIMATOR_KEYS[r.estimator]}"
        values[f"{key}_size"] = fmt_pct(r.size, 1)
        values[f"{key}_size_ci"] = f"{fmt_pct(r.size_low, 0)}–{fmt_pct(r.size_high, 0)}"
        values[f"{key}_size_max"] = fmt_pct(r.size_max, 1)
        values[f"{key}_size_cells_above"] = int(r.size_cells_above)
        values[f"{key}_sc_size"] = fmt_pct(r.sc_size, 1)
        values[f"{key}_coverage"] = fmt_pct(r.coverage, 1)
        values[f"{key}_coverage_min"] = fmt_pct(r.coverage_min, 1)
        for col in [c for c in stress_table.columns if c.startswith("power_")]:
            value = getattr(r, col)
            if pd.notna(value):
                values[f"{key}_{col}"] = fmt_pct(value, 1)
    return values
