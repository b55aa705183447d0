"""What the Monte Carlo study says, per policy x group x estimator: tables, the power-curve figure, variables.

Input: ``montecarlo.summary.summarize`` over the study's worlds (``null``, ``planted``, ``grid-or-*``) and
``minimum_detectable`` over the null and grid worlds. The size, spread and coverage columns come from the
null world (every cell's truth is 0 there); power at the planted odds ratio from the planted world (only
its planted cells); the minimum detectable odds ratio from the power curve over null + grid worlds.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fedlocal.models.pattern import PUBLISHED
from fedlocal.montecarlo.summary import Z80, Z975
from fedlocal.report.formatting import DASH, fmt_int, fmt_num, fmt_pct
from fedlocal.vocab import GROUP_LABELS, GROUPS, POLICIES, POLICY_LABELS

ESTIMATOR_LABELS = {"hybrid_logit": "between-within logit", "conditional_logit": "conditional logit"}
ESTIMATOR_KEYS = {"hybrid_logit": "hybrid", "conditional_logit": "clogit"}
CELL = ["policy", "group", "estimator"]


def is_grid(world: str) -> bool:
    return world.startswith("grid-or-")


def cells(summary: pd.DataFrame, mde: pd.DataFrame, scale: float) -> pd.DataFrame:
    """One row per policy x group x estimator: the paper's finding, size and coverage under the null, power at
    the planted odds ratio, the minimum detectable odds ratio (and its analytic extrapolation to scale 1.0,
    assuming standard errors shrink with the square root of the sample size)."""
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
        out["mde_or_scale1"] = np.exp((Z975 + Z80) * out["null_mean_se"] * math.sqrt(scale))
    planted = summary.loc[(summary["world"] == "planted") & (summary["truth"] != 0)]
    if len(planted):
        cols = {"truth": "planted_log_or", "n_fits": "planted_fits", "bias": "planted_bias",
                "coverage": "planted_coverage", "coverage_low": "planted_coverage_low",
                "coverage_high": "planted_coverage_high", "rejection_rate": "power", "rejection_low": "power_low",
                "rejection_high": "power_high"}
        out = out.merge(planted[[*CELL, *cols]].rename(columns=cols), on=CELL, how="left")
        out["planted_or"] = np.exp(out.pop("planted_log_or"))
    if len(mde):
        out = out.merge(mde[[*CELL, "mde_or", "reached", "mde", "grid_max_or"]], on=CELL, how="left")
    return out


def _rate(rate, low, high) -> str:
    if not np.isfinite(rate):
        return DASH
    return f"{fmt_pct(rate, 1)} ({fmt_pct(low, 0)}–{fmt_pct(high, 0)})"


def cells_display(table: pd.DataFrame, replications: int, scale: float) -> pd.DataFrame:
    """The manuscript table: one row per policy x group x estimator."""
    get = lambda r, c: getattr(r, c, float("nan"))  # noqa: E731 (columns of worlds that were not run are absent)
    rows = []
    for r in table.itertuples():
        power = "not planted" if not np.isfinite(get(r, "planted_or")) else (
            f"{_rate(get(r, 'power'), get(r, 'power_low'), get(r, 'power_high'))} at {fmt_num(get(r, 'planted_or'))}")
        mde = getattr(r, "mde", None)
        rows.append({
            "Policy": POLICY_LABELS[r.policy], "Group": GROUP_LABELS[r.group],
            "Estimator": ESTIMATOR_LABELS[r.estimator], "Paper": r.published,
            "Size (95% CI)": _rate(get(r, "size"), get(r, "size_low"), get(r, "size_high")),
            "Coverage, null": _rate(get(r, "null_coverage"), get(r, "null_coverage_low"), get(r, "null_coverage_high")),
            "SD / SE": fmt_num(get(r, "null_sd_se_ratio")),
            "Power (95% CI)": power,
            f"MDE OR, scale {fmt_num(scale, 2)}": mde if isinstance(mde, str) else DASH,
            "MDE OR, scale 1 (analytic)": fmt_num(get(r, "mde_or_scale1")),
        })
    out = pd.DataFrame(rows)
    out.attrs["align"] = ["l", "l", "l", "l", "r", "r", "r", "r", "r", "r"]
    out.attrs["replications"] = replications
    return out


def power_curves(summary: pd.DataFrame, replications: int, scale: float):
    """Rejection rate at 5% against the planted odds ratio (null world at 1, then the grid), per policy; one
    line per group, solid for the between-within logit, dashed for the conditional logit; Wilson 95% bars."""
    curve = summary.loc[(summary["world"] == "null") | summary["world"].map(is_grid)].copy()
    curve["planted_or"] = np.exp(curve["truth"])
    fig, axes = plt.subplots(2, 2, figsize=(7.5, 5.6), sharex=True, sharey=True)
    colors = dict(zip(GROUPS, ("C0", "C1", "C2")))
    styles = {"hybrid_logit": "-", "conditional_logit": "--"}
    for ax, policy in zip(axes.flat, POLICIES):
        part = curve.loc[curve["policy"] == policy]
        for (group, est), line in part.groupby(["group", "estimator"], sort=False):
            line = line.sort_values("planted_or")
            y = line["rejection_rate"].to_numpy(float)
            err = np.vstack([y - line["rejection_low"].to_numpy(float), line["rejection_high"].to_numpy(float) - y])
            err = np.nan_to_num(np.clip(err, 0, None))  # Wilson bounds at 0 or 1 differ from the rate by rounding
            ax.errorbar(line["planted_or"], y, yerr=err, color=colors[group], linestyle=styles[est], marker="o",
                        markersize=3, capsize=2, linewidth=1,
                        label=f"{GROUP_LABELS[group]}, {ESTIMATOR_LABELS[est]}")
        ax.axhline(0.8, color="grey", linewidth=0.8, linestyle=":")
        ax.axhline(0.05, color="grey", linewidth=0.8, linestyle=":")
        ax.set_xscale("log")
        ax.set_title(POLICY_LABELS[policy])
        ax.set_ylim(0, 1)
    ticks = sorted(curve["planted_or"].round(3).unique())
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
                 f"({replications} replications per point)", fontsize=9)
    fig.tight_layout(rect=(0, 0.08, 1, 0.96))
    return fig


def variables(table: pd.DataFrame, summary: pd.DataFrame, replications: int, scale: float, worlds: list[str],
              engine: str) -> dict:
    """Stage 07's numbers for the manuscript: the study's size and, per policy x group x estimator, size, power,
    coverage and the minimum detectable odds ratio."""
    hybrid_null = table.loc[table["estimator"] == "hybrid_logit"]
    values = {"replications": int(replications), "scale": fmt_num(scale, 2), "worlds": int(len(worlds)),
              "engine": engine, "fits": fmt_int(int(summary["n_replications"].sum())),
              "failed_fits": fmt_int(int(summary["n_failed"].sum())),
              "grid": ", ".join(fmt_num(math.exp(t), 2) for t in sorted(summary.loc[summary["world"].map(is_grid), "truth"].unique()))
              or "none"}
    if "size" in table:
        cells16 = hybrid_null["size"].notna()
        values["hybrid_size_max"] = fmt_pct(hybrid_null.loc[cells16, "size"].max(), 1)
        values["hybrid_size_mean"] = fmt_pct(hybrid_null.loc[cells16, "size"].mean(), 1)
        values["hybrid_size_cells_above"] = int((hybrid_null["size_low"] > 0.05).sum())
        values["hybrid_coverage_min"] = fmt_pct(hybrid_null["null_coverage"].min(), 1)
    for r in table.itertuples():
        key = f"{r.policy}_{r.group}_{ESTIMATOR_KEYS[r.estimator]}"
        if hasattr(r, "size"):
            values[f"{key}_size"] = fmt_pct(r.size, 1)
            values[f"{key}_coverage"] = fmt_pct(r.null_coverage, 1)
            values[f"{key}_mde_scale1"] = fmt_num(r.mde_or_scale1)
        if hasattr(r, "mde"):
            values[f"{key}_mde"] = r.mde if isinstance(r.mde, str) else "n/a"
        if hasattr(r, "power") and np.isfinite(r.power):
            values[f"{key}_power"] = fmt_pct(r.power, 1)
            values[f"{key}_power_ci"] = f"{fmt_pct(r.power_low, 0)}–{fmt_pct(r.power_high, 0)}"
    return values
