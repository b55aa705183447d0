"""What the Monte Carlo study says, per policy x group x estimator: tables, the power-curve figure, variables.

Input: ``montecarlo.summary.summarize`` over the study's worlds (``null``, ``planted``, optionally
``grid-or-*``) and the null world's replications. The size, spread and coverage columns come from the null
world (every cell's truth is 0 there); power at the planted odds ratio from the planted world (only its
planted cells), beside its approximation from the null world; the power curve and the minimum detectable
odds ratio from the null world's estimates shifted by the log odds ratio (``summary.shifted_power``, an
approximation checked at the planted odds ratio) and, when the study has grid worlds, from those too.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fedlocal.models.pattern import PUBLISHED
from fedlocal.montecarlo import summary as mc
from fedlocal.report.formatting import DASH, fmt_int, fmt_num, fmt_pct
from fedlocal.vocab import GROUP_LABELS, GROUPS, POLICIES, POLICY_LABELS

ESTIMATOR_LABELS = {"hybrid_logit": "between-within logit", "conditional_logit": "conditional logit"}
ESTIMATOR_KEYS = {"hybrid_logit": "hybrid", "conditional_logit": "clogit"}
CELL = ["policy", "group", "estimator"]
MDE_SEARCH_MAX = 20.0  # largest odds ratio the shifted MDE is searched up to


def is_grid(world: str) -> bool:
    return world.startswith("grid-or-")


def cells(summary: pd.DataFrame, null_results: pd.DataFrame, mde_grid: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per policy x group x estimator: the paper's finding; size, coverage and spread under the null;
    power at the planted odds ratio, simulated (planted world) and approximated from the null world
    (``montecarlo.summary.shifted_power``); the minimum detectable odds ratio at 80% power from the null
    world (shifted and normal approximations) and, when the study has grid worlds, from their power curve."""
    base = pd.DataFrame([(p, g, e) for p in POLICIES for g in GROUPS for e in ESTIMATOR_LABELS], columns=CELL)
    published = pd.DataFrame(PUBLISHED, columns=["policy", "group", "published", "evidence"])[["policy", "group", "published"]]
    out = base.merge(published, on=["policy", "group"], how="left")
    null = summary.loc[summary["world"] == "null"]
    if len(null):
        cols = {"n_fits": "null_fits", "n_failed": "null_failed", "bias": "null_bias", "sd_estimate": "null_sd",
                "mean_se": "null_mean_se", "sd_se_ratio": "null_sd_se_ratio", "coverage": "null_coverage",
                "coverage_low": "null_coverage_low", "coverage_high": "null_coverage_high",
                "rejection_rate": "size", "rejection_low": "size_low", "rejection_high": "size_high"}
        out = out.merge(null[[*CELL, *cols]].rename(columns=cols), on=CELL, how="left")
        out = out.merge(mc.shifted_mde(null_results, max_or=MDE_SEARCH_MAX, keys=CELL), on=CELL, how="left")
    planted = summary.loc[(summary["world"] == "planted") & (summary["truth"] != 0)]
    if len(planted):
        cols = {"truth": "planted_log_or", "n_fits": "planted_fits", "bias": "planted_bias",
                "coverage": "planted_coverage", "coverage_low": "planted_coverage_low",
                "coverage_high": "planted_coverage_high", "rejection_rate": "power", "rejection_low": "power_low",
                "rejection_high": "power_high"}
        out = out.merge(planted[[*CELL, *cols]].rename(columns=cols), on=CELL, how="left")
        out["planted_or"] = np.exp(out.pop("planted_log_or"))
        if len(null):
            check = mc.shift_check(summary, null_results, keys=CELL)
            out = out.merge(check[[*CELL, "power_shift", "power_normal", "shift_within"]], on=CELL, how="left")
    if mde_grid is not None and len(mde_grid):
        out = out.merge(mde_grid[[*CELL, "mde_or", "reached", "mde", "grid_max_or"]], on=CELL, how="left")
    return out


def _rate(rate, low, high) -> str:
    if not np.isfinite(rate):
        return DASH
    return f"{fmt_pct(rate, 1)} ({fmt_pct(low, 0)}–{fmt_pct(high, 0)})"


def _mde(value: float, fits: float) -> str:
    """The shifted MDE, or '> 20.00' when power never reaches 80% on the searched range (fits, but too noisy)."""
    if np.isfinite(value):
        return fmt_num(value)
    return f"> {fmt_num(MDE_SEARCH_MAX)}" if np.isfinite(fits) and fits > 1 else DASH


def cells_display(table: pd.DataFrame, replications: int, scale: float) -> pd.DataFrame:
    """The manuscript table: one row per policy x group x estimator."""
    get = lambda r, c: getattr(r, c, float("nan"))  # noqa: E731 (columns of worlds that were not run are absent)
    grid = "mde" in table
    rows = []
    for r in table.itertuples():
        planted = np.isfinite(get(r, "planted_or"))
        row = {
            "Policy": POLICY_LABELS[r.policy], "Group": GROUP_LABELS[r.group],
            "Estimator": ESTIMATOR_LABELS[r.estimator], "Paper": r.published,
            "Size (95% CI)": _rate(get(r, "size"), get(r, "size_low"), get(r, "size_high")),
            "Coverage, null": _rate(get(r, "null_coverage"), get(r, "null_coverage_low"), get(r, "null_coverage_high")),
            "SD / SE": fmt_num(get(r, "null_sd_se_ratio")),
            "Power at planted OR (95% CI)": (f"{_rate(get(r, 'power'), get(r, 'power_low'), get(r, 'power_high'))} "
                                             f"at {fmt_num(get(r, 'planted_or'))}") if planted else "not planted",
            "Power, shifted null": fmt_pct(get(r, "power_shift"), 1) if planted else DASH,
            "MDE OR, shifted null": _mde(get(r, "mde_or_shift"), get(r, "null_fits")),
            "MDE OR, normal": fmt_num(get(r, "mde_or_normal")),
        }
        if grid:
            row["MDE OR, grid worlds"] = r.mde if isinstance(r.mde, str) else DASH
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["align"] = ["l", "l", "l", "l"] + ["r"] * (len(out.columns) - 4)
    out.attrs["replications"] = replications
    return out


def power_curves(summary: pd.DataFrame, null_results: pd.DataFrame, max_or: float, replications: int, scale: float):
    """Power of the 5% test against the planted odds ratio, per policy; one colour per group, solid for the
    between-within logit, dashed for the conditional logit. Lines: the null world's estimates shifted by the
    log odds ratio (``shifted_power``); points with Wilson 95% bars: simulated directly (the null world at 1,
    the planted world's planted cells, grid worlds when the study has them)."""
    odds = np.exp(np.linspace(0.0, math.log(max_or), 121))
    lines = mc.shifted_power(null_results, odds, keys=CELL)
    points = summary.loc[(summary["world"] == "null") | summary["world"].map(is_grid)
                         | ((summary["world"] == "planted") & (summary["truth"] != 0))].copy()
    points["planted_or"] = np.exp(points["truth"])
    fig, axes = plt.subplots(2, 2, figsize=(7.5, 5.6), sharex=True, sharey=True)
    colors = dict(zip(GROUPS, ("C0", "C1", "C2", "C3")))
    styles = {"hybrid_logit": "-", "conditional_logit": "--"}
    markers = {"hybrid_logit": "o", "conditional_logit": "s"}
    for ax, policy in zip(axes.flat, POLICIES):
        for (group, est), line in lines.loc[lines["policy"] == policy].groupby(["group", "estimator"], sort=False):
            ax.plot(line["odds_ratio"], line["power_shift"], color=colors[group], linestyle=styles[est], linewidth=1,
                    label=f"{GROUP_LABELS[group]}, {ESTIMATOR_LABELS[est]}")
        for (group, est), pts in points.loc[points["policy"] == policy].groupby(["group", "estimator"], sort=False):
            y = pts["rejection_rate"].to_numpy(float)
            err = np.vstack([y - pts["rejection_low"].to_numpy(float), pts["rejection_high"].to_numpy(float) - y])
            err = np.nan_to_num(np.clip(err, 0, None))  # Wilson bounds at 0 or 1 differ from the rate by rounding
            ax.errorbar(pts["planted_or"], y, yerr=err, color=colors[group], marker=markers[est], markersize=3,
                        capsize=2, linestyle="none", linewidth=0.8)
        ax.axhline(0.8, color="grey", linewidth=0.8, linestyle=":")
        ax.axhline(0.05, color="grey", linewidth=0.8, linestyle=":")
        ax.set_xscale("log")
        ax.set_title(POLICY_LABELS[policy])
        ax.set_ylim(0, 1)
    ticks = [t for t in (1, 1.2, 1.5, 2, 3, 4, 6, 10) if t <= max_or * 1.001]
    for ax in axes.flat:
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:g}" for t in ticks])
        ax.minorticks_off()
    for ax in axes[1]:
        ax.set_xlabel("planted odds ratio (person-specific)")
    for ax in axes[:, 0]:  # short enough for one panel's height: two stacked long labels ran into each other
        ax.set_ylabel("rejection rate, 5% test")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, frameon=False, fontsize=7)
    fig.suptitle(f"Power of the paper's design, synthetic NCVS at {fmt_num(scale, 2)} of the paper's sample "
                 f"({replications} replications per world)", fontsize=9)
    fig.tight_layout(rect=(0, 0.09, 1, 0.96))
    return fig


def variables(table: pd.DataFrame, summary: pd.DataFrame, replications: int, scale: float, worlds: list[str],
              engine: str, stress: dict | None = None, coding_changes: pd.DataFrame | None = None) -> dict:
    """Stage 07's numbers for the manuscript: the study's size; per estimator, size and coverage over the null
    cells and how the null-world approximations of power agree with the power simulated at the planted odds
    ratio; per policy x group x estimator, size, coverage, power and the minimum detectable odds ratio."""
    values = {"replications": int(replications), "scale": fmt_num(scale, 2), "worlds": int(len(worlds)),
              "world_names": ", ".join(worlds), "engine": engine,
              "fits": fmt_int(int(summary["n_replications"].sum())),
              "failed_fits": fmt_int(int(summary["n_failed"].sum())),
              "grid": ", ".join(fmt_num(math.exp(t), 2) for t in sorted(summary.loc[summary["world"].map(is_grid), "truth"].unique()))
              or "none"}
    values["pinned_spells"] = "yes" if coding_changes is not None else "no"
    values["pinned_counties_changed"] = fmt_int(len(coding_changes)) if coding_changes is not None else "0"
    if stress:
        values["stress_county_year_sd"] = fmt_num(stress["county_year_sd"], 3)
        values["stress_pretrend_per_year"] = fmt_num(stress["pretrend_per_year"], 3)
        values["stress_metros"] = fmt_int(stress["metros"])
    for world in ("shocks", "pretrend"):
        part = summary.loc[(summary["world"] == world) & (summary["estimator"] == "hybrid_logit")]
        if len(part):  # a stress world: how often the between-within logit rejects, over the cells without an effect
            nulls = part.loc[part["truth"] == 0]
            values[f"{world}_hybrid_rejection_mean"] = fmt_pct(nulls["rejection_rate"].mean(), 1)
            values[f"{world}_hybrid_rejection_max"] = fmt_pct(nulls["rejection_rate"].max(), 1)
            values[f"{world}_hybrid_coverage_min"] = fmt_pct(part["coverage"].min(), 1)
    for estimator, short in ESTIMATOR_KEYS.items():
        part = table.loc[table["estimator"] == estimator]
        if "size" in part and part["size"].notna().any():
            values[f"{short}_size_max"] = fmt_pct(part["size"].max(), 1)
            values[f"{short}_size_min"] = fmt_pct(part["size"].min(), 1)
            values[f"{short}_size_mean"] = fmt_pct(part["size"].mean(), 1)
            values[f"{short}_size_cells_above"] = int((part["size_low"] > 0.05).sum())
            values[f"{short}_size_cells"] = int(part["size"].notna().sum())
            values[f"{short}_coverage_min"] = fmt_pct(part["null_coverage"].min(), 1)
            values[f"{short}_coverage_mean"] = fmt_pct(part["null_coverage"].mean(), 1)
            values[f"{short}_null_failed"] = fmt_int(int(part["null_failed"].sum()))
            widest = part.loc[part["null_sd_se_ratio"].idxmax()]
            values[f"{short}_sd_se_max"] = fmt_num(widest["null_sd_se_ratio"])
            values[f"{short}_sd_se_max_cell"] = f"{POLICY_LABELS[widest['policy']]}, {GROUP_LABELS[widest['group']]}"
        if "power_shift" in part and part["power"].notna().any():
            checked = part.loc[part["power"].notna()]
            values[f"{short}_shift_cells"] = int(len(checked))
            values[f"{short}_shift_within"] = int(checked["shift_within"].fillna(False).astype(bool).sum())
            values[f"{short}_shift_gap_max"] = fmt_pct((checked["power_shift"] - checked["power"]).abs().max(), 1)
            values[f"{short}_normal_gap_max"] = fmt_pct((checked["power_normal"] - checked["power"]).abs().max(), 1)
    for r in table.itertuples():
        key = f"{r.policy}_{r.group}_{ESTIMATOR_KEYS[r.estimator]}"
        if hasattr(r, "size"):
            values[f"{key}_size"] = fmt_pct(r.size, 1)
            values[f"{key}_coverage"] = fmt_pct(r.null_coverage, 1)
            values[f"{key}_sd_se"] = fmt_num(r.null_sd_se_ratio)
            values[f"{key}_mde_shift"] = fmt_num(r.mde_or_shift)
            values[f"{key}_mde_normal"] = fmt_num(r.mde_or_normal)
        if hasattr(r, "mde"):
            values[f"{key}_mde_grid"] = r.mde if isinstance(r.mde, str) else "n/a"
        # A planted cell keeps its variables when none of its fits succeeded (a tiny study): "–", not a hole
        if hasattr(r, "power") and (np.isfinite(r.power) or np.isfinite(getattr(r, "planted_or", np.nan))):
            values[f"{key}_power"] = fmt_pct(r.power, 1)
            values[f"{key}_power_ci"] = (f"{fmt_pct(r.power_low, 0)}–{fmt_pct(r.power_high, 0)}"
                                         if np.isfinite(r.power) else fmt_pct(r.power, 0))
            values[f"{key}_planted_or"] = fmt_num(r.planted_or)
            if hasattr(r, "power_shift"):
                values[f"{key}_power_shift"] = fmt_pct(r.power_shift, 1)
                values[f"{key}_power_normal"] = fmt_pct(r.power_normal, 1)
    return values
