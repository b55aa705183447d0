"""Figures: the NCVS sample's exposure and victimization by year, and the model results (policy x group forest
plot, event-time odds ratios).

One project style for every figure (seaborn's theme, set by report.outputs.setup_matplotlib). Series by year are
drawn with seaborn from long data (one call, hue = group or policy, full labels); the forest and event-time plots
show intervals the models computed, which seaborn's estimators cannot take, so they stay matplotlib errorbars in
the same style and palette.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import ticker

from fedlocal.vocab import GROUP_LABELS, NCVS_SOURCE_LABELS, POLICIES, POLICY_LABELS, RACE_ETH

PALETTE = "colorblind"  # the project palette (report.outputs.setup_matplotlib sets it for every figure)
TICKS = [0.05, 0.1, 0.2, 0.5, 0.8, 1.0, 1.25, 2.0, 5.0, 10.0, 20.0, 50.0]


def _odds_axis(axis, lo: float, hi: float) -> None:
    """A log axis labelled with plain odds ratios (0.5, 1, 2) instead of powers of ten."""
    ticks = [t for t in TICKS if lo <= t <= hi] or [1.0]
    if hi / lo > 20:  # on a wide axis 0.8 and 1.25 crowd the label at 1
        ticks = [t for t in ticks if t not in (0.8, 1.25)]
    axis.set_major_locator(ticker.FixedLocator(ticks))
    axis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    axis.set_minor_formatter(ticker.NullFormatter())


def exposure_by_year(exposed: pd.DataFrame, exposure_rule: str, source: str):
    """Share of interviews exposed to each policy by interview year (`exposed`: year index, one column per policy)."""
    import seaborn as sns  # imports statsmodels: loaded only when a figure is drawn

    long = (100 * exposed[list(POLICIES)]).rename(columns=POLICY_LABELS).rename_axis("year").reset_index().melt(
        "year", var_name="policy", value_name="exposed")
    fig, ax = plt.subplots()
    sns.lineplot(long, x="year", y="exposed", hue="policy", marker="o", ax=ax)
    ax.set_xlabel("interview year")
    ax.set_ylabel(f"% of interviews exposed (rule: {exposure_rule})")
    ax.set_title(f"Share of {NCVS_SOURCE_LABELS[source]} interviews exposed to each policy")
    ax.legend(title=None)
    return fig


def prevalence_by_year(targets: pd.DataFrame, prevalence: pd.Series, prevalence_by_group: pd.DataFrame, source: str):
    """Weighted prevalence by year, overall and by group (`prevalence_by_group`: years x race_eth; a group absent from
    the sample is left out), beside the target derived from the BJS rate."""
    import seaborn as sns  # imports statsmodels: loaded only when a figure is drawn

    by_group = prevalence_by_group.reindex(columns=list(RACE_ETH)).rename(columns=GROUP_LABELS)
    long = (100 * by_group).rename_axis("year").reset_index().melt("year", var_name="group", value_name="prevalence")
    fig, ax = plt.subplots()
    sns.lineplot(long.dropna(), x="year", y="prevalence", hue="group", marker="o", markersize=4, alpha=0.85, ax=ax)
    ax.plot(targets["year"], 100 * targets["target_prevalence"], "k--", label="target from BJS rate (2006 interpolated)")
    ax.plot(prevalence.index, 100 * prevalence, "ko-", label=GROUP_LABELS["all"])
    ax.set_xlabel("interview year")
    ax.set_ylabel("% of interviews with a violent victimization")
    ax.set_title(f"Violent victimization in the 6-month reference period ({NCVS_SOURCE_LABELS.get(source, source)})")
    ax.legend(title=None, fontsize=7, ncol=2)
    return fig


def forest(estimates: pd.DataFrame, planted: pd.DataFrame | None, title: str):
    """Within-person odds ratios with 95% CIs per policy and group; planted values as crosses when given.

    `planted`: pattern.planted_vs_estimated (policy, group, planted); None or empty for restricted data.
    """
    import seaborn as sns  # imports statsmodels: loaded only when a figure is drawn

    planted = planted if planted is not None and len(planted) else None
    groups = [g for g in GROUP_LABELS if g in set(estimates["group"])]
    policies = [p for p in POLICY_LABELS if p in set(estimates["policy"])]
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(groups) * len(policies) + 1.2))
    colors = dict(zip(GROUP_LABELS, ["0.2", *sns.color_palette(PALETTE, 3)]))
    ypos, labels = [], []
    y = 0
    for p in policies:
        for g in groups:
            r = estimates.loc[(estimates["policy"] == p) & (estimates["group"] == g)].iloc[0]
            ax.plot([r["ci_low"], r["ci_high"]], [y, y], color=colors[g], lw=1.5)
            ax.plot(r["odds_ratio"], y, "o", color=colors[g], ms=4)
            if planted is not None and g != "all":
                m = planted.loc[(planted["policy"] == p) & (planted["group"] == g), "planted"]
                if len(m):
                    ax.plot(float(m.iloc[0]), y, "x", color="crimson", ms=6, mew=1.5)
            ypos.append(y)
            labels.append(f"{POLICY_LABELS[p]}: {GROUP_LABELS[g]}")
            y -= 1
        y -= 0.6
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_xscale("log")
    lo, hi = ax.get_xlim()
    _odds_axis(ax.xaxis, lo, hi)
    ax.set_yticks(ypos, labels)
    ax.set_xlabel("odds ratio of violent victimization, policy active vs not (within person, 95% CI)")
    if planted is not None:
        ax.plot([], [], "x", color="crimson", label="planted (synthetic data)")
        ax.legend(loc="upper right", frameon=True, framealpha=0.9, fontsize=8)
    ax.set_title(title, loc="left")
    fig.tight_layout()
    return fig


def event_time_figure(coefs: pd.DataFrame, title: str):
    """One panel per policy: odds ratio by 6-month step from the start (step -1 = reference)."""
    policies = [p for p in POLICY_LABELS if len(coefs) and p in set(coefs["policy"])]
    if not policies:
        fig, ax = plt.subplots(figsize=(6.5, 2))
        ax.text(0.5, 0.5, "too few persons whose victimization and event time both vary:\nno event-time terms estimated",
                ha="center", va="center")
        ax.set_axis_off()
        ax.set_title(title)
        return fig
    ncol = min(2, len(policies))  # two panels a row stay legible at page width
    nrow = -(-len(policies) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.4 * ncol, 2.8 * nrow), sharey=True, squeeze=False)
    for ax in axes.flat[len(policies):]:
        ax.set_axis_off()
    for ax, p in zip(axes.flat, policies):
        c = coefs.loc[coefs["policy"] == p].sort_values("event_time")
        t = c["event_time"].to_numpy()
        ax.errorbar(t, c["odds_ratio"], yerr=[c["odds_ratio"] - c["ci_low"], c["ci_high"] - c["odds_ratio"]],
                    fmt="o", ms=3.5, color="0.15", ecolor="0.5", capsize=2)
        ax.axhline(1.0, color="black", lw=0.8)
        ax.axvline(-0.5, color="crimson", lw=0.8, ls="--")
        ax.set_yscale("log")
        ax.set_title(POLICY_LABELS[p])
        ax.set_xticks(np.arange(t.min(), t.max() + 1, 2))
    for ax in axes[-1]:  # the bottom row only, short enough for one panel (the caption says the outer steps are binned)
        ax.set_xlabel("6-month steps from start")
    for row in axes:
        row[0].set_ylabel("odds ratio vs step -1 (95% CI)")
    lo, hi = axes[0][0].get_ylim()
    _odds_axis(axes[0][0].yaxis, lo, hi)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def policy_coverage(coverage: pd.DataFrame):
    """Share of the US population living in a covered county, per program, by month (data.policies.panel.coverage_by_month)."""
    fig, ax = plt.subplots()
    x = pd.PeriodIndex(coverage.index, freq="M").to_timestamp()
    for p in POLICIES:
        ax.plot(x, coverage[p], label=POLICY_LABELS[p])
    ax.set_ylabel("share of US population covered")
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False, loc="upper left")
    ax.set_title("Population living in a covered county, by month, 2005-2014")
    return fig


def coding_sensitivity(sensitivity: pd.DataFrame):
    """Change in person-months exposed per program under each alternative coding, against the run's coding
    (data.policies.sensitivity.coding_sensitivity): one panel per program, one bar per alternative."""
    alternatives = sensitivity[sensitivity["change"] != ""]
    labels = list(dict.fromkeys(alternatives["coding"]))
    fig, axes = plt.subplots(1, len(POLICIES), figsize=(12, 0.4 * len(labels) + 1.6), sharey=True)
    for ax, p in zip(axes, POLICIES):
        values = alternatives[alternatives["program"] == p].set_index("coding")["person_months_change"].reindex(labels) * 100
        y = np.arange(len(labels))
        ax.barh(y, values.fillna(0).to_numpy(), color=["#b2182b" if v < 0 else "#2166ac" for v in values.fillna(0)])
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(POLICY_LABELS[p], fontsize=10)
        ax.set_xlabel("% change in person-months")
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
    fig.suptitle("Exposure under each alternative coding, against this run's coding (2005-2014)")
    fig.tight_layout()
    return fig


HAZARD_COLORS = ("#b2182b", "#2166ac")  # 287(g), Secure Communities (models.adoption.HAZARD_MODELS order)


def adoption_hazard(fits: dict):
    """Odds ratios of entering each program in a given year (models.adoption.fit_adoption_models), one row per covariate."""
    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    labels = next(iter(fits.values())).table["label"].tolist()
    ypos = np.arange(len(labels))[::-1]
    for shift, (name, color) in zip((0.17, -0.17), zip(fits, HAZARD_COLORS)):
        t = fits[name].table
        ax.errorbar(t["odds_ratio"], ypos + shift, xerr=[t["odds_ratio"] - t["ci_low"], t["ci_high"] - t["odds_ratio"]],
                    fmt="o", color=color, ms=4, capsize=2, label=f"{name} ({fits[name].n_events:,} entries)")
    ax.axvline(1, color="grey", lw=0.8)
    ax.set_xscale("log")
    ax.set_xticks([0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10, 25], ["0.05", "0.1", "0.25", "0.5", "1", "2", "4", "10", "25"])
    ax.set_yticks(ypos, labels)
    ax.set_xlabel("odds ratio of entering in a given year (log scale, 95% CI clustered by state)")
    ax.set_title("What predicted when a county entered each program (real data, 2005-2014)")
    ax.set_ylim(-0.7, len(labels) + 0.7)  # room for the legend above the first row
    ax.legend(frameon=False, loc="upper left", ncol=2)
    return fig


EVENT_STUDY_TITLES = {"sc": "Secure Communities (not-yet-treated controls)",
                      "antidetainer": "Anti-detainer policy (never-treated controls)"}


def police_crime_event_study(events: dict[str, pd.DataFrame]):
    """Callaway-Sant'Anna effects on the log violent-crime rate by years since adoption, 95% pointwise intervals, one
    panel per policy (`events`: policy -> the 'event' table of models.metro.callaway_santanna)."""
    fig, axes = plt.subplots(1, len(events), figsize=(7.5, 3.4), sharey=True, squeeze=False)
    for axis, (policy, event) in zip(axes[0], events.items()):
        axis.axhline(0, color="0.3", lw=0.8)
        axis.axvline(-0.5, color="0.5", lw=0.8, ls="--")
        axis.errorbar(event.event_time, event.estimate, yerr=[event.estimate - event.ci_low, event.ci_high - event.estimate],
                      fmt="o", ms=3, color="C0", ecolor="C0", elinewidth=1, capsize=2)
        axis.set_title(EVENT_STUDY_TITLES[policy], fontsize=8.5)
        axis.set_xlabel("years since adoption")
        axis.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))  # whole years, never -7.5
    axes[0][0].set_ylabel("effect on log violent crime rate")
    fig.suptitle("Police-recorded violent crime around policy adoption, US metro areas (FBI UCR)", fontsize=9)
    fig.tight_layout()
    return fig


def specification_odds_ratios(table: pd.DataFrame):
    """Within odds ratios with 95% CIs per policy (panels) and group (rows) under this run's specification and each
    alternative (fedlocal.specifications.collect; hybrid model)."""
    hybrid = table[table["model"] == "hybrid_logit"]
    labels = list(dict.fromkeys(hybrid["label"]))
    groups = [g for g in ("all", "latino", "black", "white") if g in set(hybrid["group"])]
    colors = plt.cm.tab20(np.arange(len(labels)) % 20)  # up to 20 specifications, each its own colour
    fig, axes = plt.subplots(1, len(POLICIES), figsize=(13, 1.0 * len(groups) + 2.2), sharey=True)
    step = 0.8 / max(len(labels), 1)
    for ax, p in zip(axes, POLICIES):
        for j, (label, color) in enumerate(zip(labels, colors)):
            rows = hybrid[(hybrid["policy"] == p) & (hybrid["label"] == label)].set_index("group").reindex(groups)
            y = np.arange(len(groups)) + 0.4 - step / 2 - j * step
            ax.errorbar(rows["odds_ratio"], y, xerr=[rows["odds_ratio"] - rows["ci_low"], rows["ci_high"] - rows["odds_ratio"]],
                        fmt="o", ms=3.5, capsize=0, lw=1, color=color, label=label)
        ax.axvline(1, color="grey", lw=0.8)
        ax.set_xscale("log")
        _odds_axis(ax.xaxis, *ax.get_xlim())  # plain odds ratios; no 6x10^-1 minor labels
        ax.set_title(POLICY_LABELS[p], fontsize=10)
        ax.set_xlabel("within odds ratio (log scale, 95% CI)")
    axes[0].set_yticks(np.arange(len(groups)), [GROUP_LABELS[g] for g in groups])
    axes[0].invert_yaxis()
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=min(len(labels), 3), frameon=False, fontsize=9)
    source = NCVS_SOURCE_LABELS[hybrid["source"].iloc[0]]
    fig.suptitle(f"Main-model odds ratios under each alternative specification ({source})")
    fig.tight_layout(rect=(0, 0.06 * (1 + (len(labels) - 1) // 3), 1, 1))
    return fig


def specification_curve(curve: pd.DataFrame, rows: list[tuple[str, str]], row_labels: list[str],
                        groups=("all", "latino")):
    """The specification curve (fedlocal.specifications.curve) in the layout of Simonsohn, Simmons and Nelson (2020)
    and of `specr` / `specification_curve`: per policy (columns) and group (row pairs), the within odds ratios of
    every specification ordered by estimate, with 95% CIs and a line at 1, and below them the choice matrix, a
    mark where the specification makes that choice (`rows`: (choice key, value) pairs, `row_labels` their names).
    This run's specification is drawn in red, its column shaded; others dark when the CI excludes 1, grey when not.

    Own matplotlib code, not the `specification_curve` package: that package fits its own regressions from a data
    frame and plots those, while these estimates come from variant pipeline runs (and one from another stage), so
    only its plotting convention carries over.
    """
    policies = [p for p in POLICIES if p in set(curve["policy"])]
    groups = [g for g in groups if g in set(curve["group"])]
    n_rows = len(rows)
    height = len(groups) * (2.3 + 0.15 * n_rows + 0.7)
    fig = plt.figure(figsize=(3.1 * len(policies) + 2.2, height))
    grid = fig.add_gridspec(3 * len(groups), len(policies), height_ratios=[2.3, 0.15 * n_rows, 0.7] * len(groups),
                            hspace=0.06, wspace=0.12, top=1 - 0.5 / height, bottom=0.02)
    highlight, shown, faint = "#c0392b", "#1f3b73", "#9a9a9a"
    boundaries = [i for i in range(1, n_rows) if rows[i][0] != rows[i - 1][0]]
    for gi, group in enumerate(groups):
        for pi, policy in enumerate(policies):
            cell = curve[(curve["policy"] == policy) & (curve["group"] == group)].sort_values("rank")
            x = np.arange(len(cell))
            top = fig.add_subplot(grid[3 * gi, pi])
            bottom = fig.add_subplot(grid[3 * gi + 1, pi], sharex=top)
            colors = [highlight if t else shown if e else faint for t, e in zip(cell["this_run"], cell["excludes_one"])]
            for xi, (_, r), c in zip(x, cell.iterrows(), colors):
                top.plot([xi, xi], [r["ci_low"], r["ci_high"]], color=c, lw=1.2)
                top.plot(xi, r["odds_ratio"], "o", color=c, ms=5.5 if r["this_run"] else 4)
            top.axhline(1, color="black", lw=0.8, ls="--")
            top.set_yscale("log")
            _odds_axis(top.yaxis, float(cell["ci_low"].min()), float(cell["ci_high"].max()))
            top.set_title(f"{POLICY_LABELS[policy]}: {GROUP_LABELS[group]}", fontsize=9.5)
            top.tick_params(labelbottom=False, labelsize=8)
            if pi == 0:
                top.set_ylabel("within odds ratio\n(95% CI, log scale)", fontsize=8.5)
            for xi in x[cell["this_run"].to_numpy()]:
                for ax in (top, bottom):
                    ax.axvspan(xi - 0.5, xi + 0.5, color=highlight, alpha=0.12, lw=0)
            for ri, (key, value) in enumerate(rows):
                used = (cell[f"choice_{key}"] == value).to_numpy()
                bottom.scatter(x[used], np.full(used.sum(), ri), s=14, marker="s",
                               c=[highlight if t else "black" for t in cell["this_run"].to_numpy()[used]])
            for b in boundaries:
                bottom.axhline(b - 0.5, color="#d0d0d0", lw=0.6)
            bottom.set_ylim(n_rows - 0.5, -0.5)
            bottom.set_yticks(np.arange(n_rows), row_labels if pi == 0 else [])
            bottom.tick_params(axis="y", labelsize=7.5, length=0)
            bottom.set_xlim(-0.7, len(cell) - 0.3)
            bottom.set_xticks(x, [str(i + 1) for i in x] if len(x) <= 20 else [])
            bottom.tick_params(axis="x", labelsize=6.5, length=0)
            bottom.grid(False)
            if gi == len(groups) - 1:
                bottom.set_xlabel("specifications, ordered by odds ratio", fontsize=8.5)
    fig.suptitle(f"Specification curve: within odds ratios under each defensible choice "
                 f"({NCVS_SOURCE_LABELS[curve['source'].iloc[0]]})", y=1 - 0.1 / height)
    return fig
