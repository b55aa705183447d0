"""Display tables: what the manuscript prints for each result table (the CSV beside it keeps full precision).

Each builder returns the formatted frame with its column alignment in `attrs["align"]`, which
outputs.save_table uses. Every table names its data source; synthetic results say so.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from fedlocal.report.formatting import DASH, fmt_ci, fmt_int, fmt_num, fmt_or_ci, fmt_p, fmt_p_clause, fmt_pct, fmt_pp_ci
from fedlocal.vocab import GROUP_LABELS, GROUPS, NCVS_SOURCE_LABELS, POLICIES, POLICY_LABELS, RACE_ETH

JOINT_TEST = "latino = black = white"  # the comparison label of the joint test in models.estimate.group_differences
ROBUSTNESS_COLUMNS = ["model", "group", "policy", "estimate", "odds_ratio", "ci_low", "ci_high", "p_value", "persons",
                      "interviews"]
MODEL_LABELS = {"hybrid_logit": "Between–within logit (OR)", "conditional_logit": "Conditional logit (OR)",
                "lpm_twfe": "LPM, county + period FE (pp)", "cells_twfe": "TWFE on county cells (pp)",
                "callaway_santanna": "Callaway–Sant'Anna, county weights (pp)",
                "callaway_santanna_unweighted": "Callaway–Sant'Anna, unweighted (pp)", "sun_abraham": "Sun–Abraham (pp)"}
YES_NO = {True: "yes", False: "no"}


PROGRAM_LABELS = {**POLICY_LABELS, "any_287g": "Any 287(g) agreement"}


def policy_label(code: str) -> str:
    """A policy code as printed, also at the start of a longer term ('sc adoption' -> 'Secure Communities adoption')
    so that no displayed table shows the internal codes (sc, jem, tfm)."""
    head, _, rest = str(code).partition(" ")
    return f"{PROGRAM_LABELS[head]} {rest}".strip() if head in PROGRAM_LABELS else str(code)


def _aligned(frame: pd.DataFrame, align: list[str]) -> pd.DataFrame:
    frame.attrs["align"] = align
    return frame


# ---------------------------------------------------------------------------------------------- the NCVS sample (03)
def _calibration_cell(check: str, value: float) -> str:
    if not np.isfinite(value):
        return DASH  # restricted data: a target year without interviews
    if "prevalence" in check or "share" in check:
        return fmt_pct(value, 3) + "%"
    return fmt_num(value, 2 if value < 100 else 0)


def _gap_cell(gap: float, kind: str) -> str:
    if not np.isfinite(gap):
        return DASH
    return (fmt_num(100 * gap, 2) + " pts") if kind == "absolute" else (fmt_pct(gap, 1) + "%")


def calibration(checks: pd.DataFrame, source: str) -> pd.DataFrame:
    """The sample against its targets: shares and prevalences in %, gaps in % (relative) or points (absolute)."""
    kinds = checks["kind"] if "kind" in checks else pd.Series(["relative"] * len(checks))
    display = checks.assign(
        target=[_calibration_cell(c, v) for c, v in zip(checks["check"], checks["target"])],
        value=[_calibration_cell(c, v) for c, v in zip(checks["check"], checks["value"])],
        gap=[_gap_cell(g, k) for g, k in zip(checks["gap"], kinds)],
    )
    if "met" in display:
        display["met"] = np.where(checks["met"], "yes", "no")
    display = display.drop(columns=[c for c in ("tolerance", "kind") if c in display])
    display.columns = [c if c != "check" else f"check ({source})" for c in display.columns]
    return display


def exposure_by_year(interviews: pd.DataFrame) -> pd.DataFrame:
    """Share of interviews whose reference period was exposed to each policy, by interview year."""
    return interviews.groupby("year")[list(POLICIES)].mean()


def sample_by_year(interviews: pd.DataFrame) -> pd.DataFrame:
    """year, interviews, persons, share of each race/ethnicity, share exposed to each policy."""
    by_year = interviews.groupby("year").agg(interviews=("person_id", "size"), persons=("person_id", "nunique"))
    mix = pd.crosstab(interviews["year"], interviews["race_eth"], normalize="index").reindex(columns=list(RACE_ETH), fill_value=0.0)
    exposed = exposure_by_year(interviews)
    return pd.concat([by_year, mix.add_prefix("share_"), exposed.add_prefix("exposed_")], axis=1).reset_index()


def sample_by_year_display(table: pd.DataFrame, source: str) -> pd.DataFrame:
    shown = table.copy()
    for c in shown.columns:
        if c.startswith(("share_", "exposed_")):
            shown[c] = [fmt_pct(v) for v in table[c]]
        elif c in ("interviews", "persons"):
            shown[c] = [fmt_int(v) for v in table[c]]
    names = {f"share_{g}": f"% {GROUP_LABELS[g]}" for g in RACE_ETH}
    names.update({f"exposed_{p}": f"% exposed to {POLICY_LABELS[p]}" for p in POLICIES})
    names.update({"year": f"Year ({source})", "interviews": "Interviews", "persons": "Persons"})
    return shown.rename(columns=names)


# ---------------------------------------------------------------------------------------------- main models (04)
def main_estimates(main: pd.DataFrame, source: str) -> pd.DataFrame:
    """One row per policy: within odds ratio, CI, p and sample sizes (the `all` rows of the hybrid estimates)."""
    display = pd.DataFrame({
        "Policy": main["policy"].map(POLICY_LABELS),
        "Odds ratio": main["odds_ratio"].map(fmt_num),
        "95% CI": [fmt_ci(lo, hi) for lo, hi in zip(main["ci_low"], main["ci_high"])],
        "p": main["p_value"].map(fmt_p),
    })
    if "p_bootstrap" in main:  # the few-cluster columns: both p-values, the main one marked in its header
        chosen = main["inference"].iloc[0]
        display = display.drop(columns="p")
        display[f"p, clustered{' (main)' if chosen == 'cluster' else ''}"] = main["p_cluster"].map(fmt_p).to_numpy()
        display[f"p, score bootstrap{' (main)' if chosen == 'score_bootstrap' else ''}"] = \
            main["p_bootstrap"].map(fmt_p).to_numpy()
        display["G*"] = main["effective_clusters"].map(lambda g: fmt_num(g, 1)).to_numpy()
        display["Treated counties"] = main["treated_counties"].map(fmt_int).to_numpy()
    display["Persons"] = main["persons"].map(fmt_int).to_numpy()
    display["Interviews"] = main["interviews"].map(fmt_int).to_numpy()
    display["Counties"] = main["counties"].map(fmt_int).to_numpy()
    display["Data"] = NCVS_SOURCE_LABELS[source]
    return _aligned(display, ["l"] + ["r"] * (len(display.columns) - 2) + ["l"])


def subgroup_estimates(subgroups: pd.DataFrame, source: str) -> pd.DataFrame:
    """Policies by rows, the three groups by columns: 'OR (CI), p = ...' with each group's number of interviews."""
    text = pd.Series([f"{fmt_or_ci(o, lo, hi)}, {fmt_p_clause(p)}" for o, lo, hi, p in
                      zip(subgroups["odds_ratio"], subgroups["ci_low"], subgroups["ci_high"], subgroups["p_value"])],
                     index=subgroups.index)
    if "p_bootstrap" in subgroups:  # both p-values (clustered first) and G* of each estimate
        text = pd.Series([f"{fmt_or_ci(o, lo, hi)}, {fmt_p_clause(pc)} clustered, {fmt_p(pb)} bootstrap, "
                          f"G* = {fmt_num(g, 1)}" for o, lo, hi, pc, pb, g in
                          zip(subgroups["odds_ratio"], subgroups["ci_low"], subgroups["ci_high"],
                              subgroups["p_cluster"], subgroups["p_bootstrap"], subgroups["effective_clusters"])],
                         index=subgroups.index)
    wide = subgroups.assign(text=text).pivot(index="policy", columns="group", values="text")
    display = pd.DataFrame({"Policy": [POLICY_LABELS[p] for p in POLICIES]})
    for g in GROUPS:
        n = subgroups.loc[subgroups["group"] == g].iloc[0]
        display[f"{GROUP_LABELS[g]} (n = {fmt_int(n['interviews'])})"] = [wide.loc[p, g] for p in POLICIES]
    display["Data"] = NCVS_SOURCE_LABELS[source]
    return _aligned(display, ["l"] + ["r"] * len(GROUPS) + ["l"])


def planted_vs_estimated(comparison: pd.DataFrame, source: str) -> pd.DataFrame:
    """Planted odds ratio beside the estimate and whether its CI covers it; a note for restricted data."""
    if source != "synthetic":
        display = pd.DataFrame({"Note": ["Restricted NCVS: nothing is planted, so there is nothing to compare."]})
    else:
        display = pd.DataFrame({
            "Policy": comparison["policy"].map(POLICY_LABELS),
            "Group": comparison["group"].map(GROUP_LABELS),
            "Planted OR": comparison["planted"].map(fmt_num),
            "Estimated OR (95% CI)": [fmt_or_ci(o, lo, hi) for o, lo, hi in
                                      zip(comparison["odds_ratio"], comparison["ci_low"], comparison["ci_high"])],
            "Planted inside CI": comparison["covered"].map(YES_NO),
            "Data": NCVS_SOURCE_LABELS[source],
        })
    return _aligned(display, ["l"] * len(display.columns))


def published_pattern(pattern: pd.DataFrame, source: str) -> pd.DataFrame:
    """The paper's direction and significance beside ours, cell by cell."""
    display = pd.DataFrame({
        "Policy": pattern["policy"].map(POLICY_LABELS),
        "Group": pattern["group"].map(GROUP_LABELS),
        "Published": pattern["published"] + pattern["evidence"].map({"V": "", "S": " (secondary source)"}),
        "Estimated": pattern["estimated"],
        "OR (p)": [f"{fmt_num(o)} ({fmt_p(p)})" for o, p in zip(pattern["odds_ratio"], pattern["p_value"])],
        "Agrees": pattern["agrees"].map(YES_NO),
        "Data": NCVS_SOURCE_LABELS[source],
    })
    return _aligned(display, ["l"] * len(display.columns))


# ---------------------------------------------------------------------------------------------- robustness (05)
def robustness(hybrid: pd.DataFrame, conditional: pd.DataFrame, lpm: pd.DataFrame, staggered: pd.DataFrame,
               source: str) -> pd.DataFrame:
    """Every estimator's policy x group estimates in one long table (odds ratios for the logits, points for the LPMs)."""
    long = pd.concat([
        hybrid[ROBUSTNESS_COLUMNS].assign(scale="odds ratio"),
        conditional[ROBUSTNESS_COLUMNS].assign(scale="odds ratio"),
        lpm.assign(odds_ratio=float("nan")),
        staggered.assign(odds_ratio=float("nan")),
    ], ignore_index=True)[ROBUSTNESS_COLUMNS + ["scale", "counties"]]
    long["source"] = source
    return long


def robustness_display(long: pd.DataFrame, source: str) -> pd.DataFrame:
    """One row per policy and group, one column per estimator; the between–within logit first."""
    text = [fmt_or_ci(o, lo, hi) if scale == "odds ratio" else fmt_pp_ci(e, lo, hi)
            for scale, o, e, lo, hi in zip(long["scale"], long["odds_ratio"], long["estimate"], long["ci_low"], long["ci_high"])]
    display = long.assign(text=text).pivot(index=["policy", "group"], columns="model", values="text")
    order = [(p, g) for p in POLICIES for g in ("all",) + GROUPS]
    display = display.reindex(order)[[m for m in MODEL_LABELS if m in display.columns]].fillna("")
    display = display.rename(columns=MODEL_LABELS).reset_index()
    display.insert(0, "Policy", display.pop("policy").map(POLICY_LABELS))
    display.insert(1, "Group", display.pop("group").map(GROUP_LABELS))
    display["Data"] = NCVS_SOURCE_LABELS[source]
    return _aligned(display, ["l", "l"] + ["r"] * (len(display.columns) - 3) + ["l"])


def random_intercept(estimates: pd.DataFrame, summary: dict, source: str) -> pd.DataFrame:
    """Pooled between-within logit beside the person random-intercept logit on the same persons, one row per policy,
    and the intercept's SD (models.estimate.random_intercept_comparison)."""
    wide = estimates.assign(text=[fmt_or_ci(o, lo, hi) for o, lo, hi in
                                  zip(estimates["odds_ratio"], estimates["ci_low"], estimates["ci_high"])])
    wide = wide.pivot(index="policy", columns="model", values="text").reindex([p for p in POLICIES
                                                                              if p in set(estimates["policy"])])
    pooled_label, mixed_label = "Between–within logit, pooled (OR)", "Random intercept (person), AGHQ (OR)"
    display = pd.DataFrame({"Policy": wide.index.map(POLICY_LABELS),
                            pooled_label: wide["hybrid_logit"].to_numpy(),
                            mixed_label: wide["random_intercept_logit"].to_numpy()})
    sd = pd.DataFrame({"Policy": ["SD of the person intercept (log-odds)"], pooled_label: [DASH],
                       mixed_label: [f"{fmt_num(summary['sd'], 2)} (SE {fmt_num(summary['sd_se'], 2)})"]})
    display = pd.concat([display, sd], ignore_index=True)
    display["Data"] = NCVS_SOURCE_LABELS[source]
    return _aligned(display, ["l", "r", "r", "l"])


def staggered_event_time(events: pd.DataFrame, source: str) -> pd.DataFrame:
    """Event-time estimates (percentage points, 95% CI) of the heterogeneity-robust estimators side by side, one row
    per half-year step (models.staggered.staggered_comparison's event table, one group)."""
    text = [fmt_pp_ci(e, lo, hi) for e, lo, hi in zip(events["estimate"], events["ci_low"], events["ci_high"])]
    display = events.assign(text=text).pivot(index="event_time", columns="model", values="text")
    display = display[[m for m in MODEL_LABELS if m in display.columns]].fillna("").rename(columns=MODEL_LABELS)
    display = display.reset_index().rename(columns={"event_time": "Half-years since start"})
    display["Data"] = NCVS_SOURCE_LABELS[source]
    return _aligned(display, ["r"] * (len(display.columns) - 1) + ["l"])


def comparison_label(comparison: str) -> str:
    """'latino vs white' -> 'Latino vs Non-Latino white' (the models name groups by their codes)."""
    return re.sub(r"\b[a-z]+\b", lambda m: GROUP_LABELS.get(m.group(0), m.group(0)), comparison)


def group_differences(differences: pd.DataFrame, source: str) -> pd.DataFrame:
    """Ratios of two groups' odds ratios with their p-values, and the joint test per policy."""
    display = pd.DataFrame({
        "Policy": differences["policy"].map(POLICY_LABELS),
        "Comparison": differences["comparison"].map(comparison_label),
        "Ratio of odds ratios (95% CI)": ["" if c == JOINT_TEST else fmt_or_ci(o, lo, hi) for c, o, lo, hi in
                                          zip(differences["comparison"], differences["or_ratio"], differences["ci_low"],
                                              differences["ci_high"])],
        "p": differences["p_value"].map(fmt_p),
        "Data": NCVS_SOURCE_LABELS[source],
    })
    return _aligned(display, ["l", "l", "r", "r", "l"])


# ---------------------------------------------------------------------------------------------- policy timelines (01)
def policy_coverage(by_year: pd.DataFrame) -> pd.DataFrame:
    """data.policies.panel.coverage_by_year, wide: one row per year, per program the counties under it in December
    and their % of the US population (the long CSV beside it keeps any-month counts and population)."""
    programs = [p for p in POLICIES if p in set(by_year["program"])]
    wide = by_year.pivot(index="year", columns="program")
    display = pd.DataFrame({"Year": wide.index.astype(int)})
    for p in programs:
        label = POLICY_LABELS[p]
        display[f"{label}: counties"] = wide[("counties_december", p)].map(fmt_int).to_numpy()
        display[f"{label}: % of population"] = wide[("population_share_december", p)].map(fmt_pct).to_numpy()
    return _aligned(display, ["l"] + ["r"] * (2 * len(programs)))


def east_agreement(table: pd.DataFrame) -> pd.DataFrame:
    """data.policies.crosscheck.agreement_table with shares in % and counts with commas."""
    return table.assign(
        program=table["program"].map(policy_label),
        agree_share=table["agree_share"].map(fmt_pct), agree_when_on_share=table["agree_when_on_share"].map(fmt_pct),
        county_months=table["county_months"].map(fmt_int), on_either=table["on_either"].map(fmt_int),
        counties_ours=table["counties_ours"].map(fmt_int), counties_other=table["counties_other"].map(fmt_int),
    ).rename(columns={"program": "Program", "county_months": "Units compared", "agree_share": "% agree",
                      "on_either": "Units on in either", "agree_when_on_share": "% agree when on in either",
                      "counties_ours": "Counties (ours)", "counties_other": "Counties (other)"})


def coding_sensitivity(sensitivity: pd.DataFrame) -> pd.DataFrame:
    """data.policies.sensitivity.coding_sensitivity, one row per coding: per program the person-months in millions
    with the change against the run's coding, and the counties ever exposed."""
    rows = []
    for coding, g in sensitivity.groupby("coding", sort=False):
        row = {"Coding": coding}
        for r in g.itertuples():
            label = POLICY_LABELS[r.program]
            change = "" if coding == sensitivity["coding"].iloc[0] else f" ({r.person_months_change:+.1%})"
            row[f"{label}: person-months, M"] = fmt_num(r.person_months / 1e6, 0) + change
            row[f"{label}: counties"] = fmt_int(r.counties)
        rows.append(row)
    frame = pd.DataFrame(rows)
    return _aligned(frame, ["l"] + ["r"] * (frame.shape[1] - 1))


# ---------------------------------------------------------------------------------------------- counties and adoption (02)
def _mean_cell(value: float) -> str:
    """A group mean: one decimal, two below 1 (shares)."""
    return fmt_num(value, 1 if abs(value) >= 1 else 2)


def adopter_balance(balance: pd.DataFrame) -> pd.DataFrame:
    """models.adoption.balance as printed: the counties row, then each covariate's mean over all counties and, per
    adopter group, the adopters' mean and the standardized difference (others' means stay in the CSV)."""
    # imported here: models.adoption loads scipy.stats (about a second), which the other stages' tables never need
    from fedlocal.models.adoption import BALANCE_COVARIATES, BASELINE_YEAR

    groups = [c.removesuffix(": adopters") for c in balance.columns if c.endswith(": adopters")]
    display = pd.DataFrame({f"Covariate ({BASELINE_YEAR})": ["counties"] + [BALANCE_COVARIATES[c] for c in balance["covariate"][1:]]})
    display["All counties"] = [fmt_int(balance.loc[0, "all"])] + [_mean_cell(v) for v in balance["all"][1:]]
    for name in groups:
        adopters, smd = balance[f"{name}: adopters"], balance[f"{name}: smd"]
        display[f"{name}: adopters"] = [fmt_int(adopters[0])] + [_mean_cell(v) for v in adopters[1:]]
        display[f"{name}: SMD"] = [""] + [fmt_num(v, 2) for v in smd[1:]]
    return display


def adoption_hazard(hazard: pd.DataFrame) -> pd.DataFrame:
    """models.adoption.hazard_long as printed: one row per covariate, one 'OR (CI)' column per model, and a last
    row with each model's entries and county-years at risk."""
    models = list(dict.fromkeys(hazard["model"]))
    first = hazard.loc[hazard["model"] == models[0]]
    display = pd.DataFrame({"Covariate (per unit)": first["label"].str.replace("(x e = 2.7 times larger)", "(2.7x larger)",
                                                                               regex=False).to_numpy()})
    sizes = {"Covariate (per unit)": "entries / county-years at risk"}
    for name in models:
        rows = hazard.loc[hazard["model"] == name]
        display[f"{name}: odds ratio (95% CI)"] = [fmt_or_ci(o, lo, hi) for o, lo, hi in
                                                   zip(rows["odds_ratio"], rows["ci_low"], rows["ci_high"])]
        sizes[f"{name}: odds ratio (95% CI)"] = f"{fmt_int(rows['n_events'].iloc[0])} / {fmt_int(rows['n_county_years'].iloc[0])}"
    return pd.concat([display, pd.DataFrame([sizes])], ignore_index=True)


# ---------------------------------------------------------------------------------------------- police-recorded crime (06)
def msa_coverage(coverage: pd.DataFrame) -> pd.DataFrame:
    """data.ucr.identity.coverage_by_year as printed: MSAs per year at each step, the analysis MSAs' % of the US."""
    return coverage.assign(pop_share_analysis=[fmt_pct(v) for v in coverage["pop_share_analysis"]]).rename(columns={
        "year": "Year", "msas_in_table": "MSAs in FBI table", "with_estimated_total": "with violent-crime total",
        "with_counties": "with counties (50 states + DC)", "linked": "linked to an identity",
        "analysis": "in analysis", "pop_share_analysis": "% of US population"})


def police_crime_estimates(estimates: pd.DataFrame) -> pd.DataFrame:
    """TWFE and Callaway-Sant'Anna effects on police-recorded crime, three decimals; the pre-trend p and the minimum
    detectable effect are blank for designs without them."""
    blank_or_num = lambda values: ["" if pd.isna(v) else fmt_num(v, 3) for v in values]  # noqa: E731
    display = estimates.assign(
        estimate=[fmt_num(v, 3) for v in estimates["estimate"]],
        ci=[f"[{fmt_num(lo, 3)}, {fmt_num(hi, 3)}]" for lo, hi in zip(estimates["ci_low"], estimates["ci_high"])],
        p_value=[fmt_num(v, 3) for v in estimates["p_value"]], n_units=[fmt_int(v) for v in estimates["n_units"]],
        n_treated_units=[fmt_int(v) for v in estimates["n_treated_units"]],
        pretest_p=blank_or_num(estimates["pretest_p"]), mde=blank_or_num(estimates["mde"]),
        term=estimates["term"].map(policy_label),
    )[["design", "outcome", "term", "estimate", "ci", "p_value", "n_units", "n_treated_units", "pretest_p", "mde"]].rename(
        columns={"design": "Design", "outcome": "Outcome", "term": "Policy", "estimate": "Estimate", "ci": "95% CI",
                 "p_value": "p", "n_units": "MSAs", "n_treated_units": "treated MSAs", "pretest_p": "pre-trend p",
                 "mde": "MDE (80% power)"})
    return _aligned(display, ["l", "l", "l"] + ["r"] * 7)


# ---------------------------------------------------------------------------------------------- specifications (08)
def specification_odds_ratios(table: pd.DataFrame) -> pd.DataFrame:
    """fedlocal.specifications.collect as printed: one row per policy x group of the hybrid model, one column per
    specification (this run's first) with the within odds ratio, marked * when its 95% CI excludes 1."""
    hybrid = table[table["model"] == "hybrid_logit"]
    labels = list(dict.fromkeys(hybrid["label"]))
    cell = hybrid.assign(text=[fmt_num(o, 2) + ("*" if lo > 1 or hi < 1 else "") for o, lo, hi in
                               zip(hybrid["odds_ratio"], hybrid["ci_low"], hybrid["ci_high"])])
    wide = cell.pivot_table(index=["policy", "group"], columns="label", values="text", aggfunc="first")
    rows = [(p, g) for p in POLICIES for g in ("all", *GROUPS) if (p, g) in wide.index]
    display = pd.DataFrame({"Policy": [POLICY_LABELS[p] for p, _ in rows], "Group": [GROUP_LABELS[g] for _, g in rows]})
    for label in labels:
        display[label] = [wide.loc[r, label] for r in rows]
    display["Data"] = NCVS_SOURCE_LABELS[hybrid["source"].iloc[0]]
    return _aligned(display, ["l", "l"] + ["r"] * len(labels) + ["l"])


def specification_curve(summary: pd.DataFrame) -> pd.DataFrame:
    """fedlocal.specifications.curve_summary as printed: per policy and group the number of specifications, this
    run's odds ratio with its rank among them (1 = smallest), the median and range of the odds ratios, and how many
    95% intervals exclude 1."""
    display = pd.DataFrame({
        "Policy": summary["policy"].map(POLICY_LABELS), "Group": summary["group"].map(GROUP_LABELS),
        "Specifications": [fmt_int(n) for n in summary["specifications"]],
        "This run (rank)": [f"{fmt_num(o, 2)} ({r})" for o, r in zip(summary["this_run"], summary["this_run_rank"])],
        "Median": [fmt_num(v, 2) for v in summary["median"]],
        "Range": [f"{fmt_num(lo, 2)}–{fmt_num(hi, 2)}" for lo, hi in zip(summary["smallest"], summary["largest"])],
        "Above 1": [f"{a} of {n}" for a, n in zip(summary["above_one"], summary["specifications"])],
        "CI excludes 1": [f"{e} of {n}" for e, n in zip(summary["excluding_one"], summary["specifications"])],
    })
    return _aligned(display, ["l", "l", "r", "r", "r", "r", "r", "r"])


PARTLY_TREATED_LABELS = {"treated": "counted as treated", "drop": "dropped"}


def police_crime_design_choices(choices: pd.DataFrame) -> pd.DataFrame:
    """models.metro.design_choices for each policy: estimator, partly treated base years, weights side by side."""
    display = pd.DataFrame({
        "Policy": choices["policy"].map(POLICY_LABELS),
        "Partly covered years": choices["partly_treated"].map(PARTLY_TREATED_LABELS),
        "Weights": choices["weights"].map({"none": "none", "population": "population"}),
        "Estimator": choices["estimator"],
        "Estimate": [fmt_num(v, 3) for v in choices["estimate"]],
        "95% CI": [f"[{fmt_num(lo, 3)}, {fmt_num(hi, 3)}]" for lo, hi in zip(choices["ci_low"], choices["ci_high"])],
        "p": [fmt_num(v, 3) for v in choices["p_value"]],
        "MSA-years": [fmt_int(v) for v in choices["n_obs"]],
        "MSAs": [fmt_int(v) for v in choices["n_units"]],
        "treated MSAs": [fmt_int(v) for v in choices["n_treated_units"]],
    })
    return _aligned(display, ["l"] * 4 + ["r"] * 6)


def police_crime_few_cluster(inference: pd.DataFrame) -> pd.DataFrame:
    """models.metro.few_cluster_inference: the clustered p-value beside the wild cluster bootstrap and randomization
    p-values, per outcome and policy."""
    display = pd.DataFrame({
        "Outcome": inference["outcome"], "Policy": inference["term"].map(POLICY_LABELS),
        "Estimate": [fmt_num(v, 3) for v in inference["estimate"]],
        "treated MSAs": [fmt_int(v) for v in inference["n_treated_units"]],
        "p, clustered t": [fmt_num(v, 3) for v in inference["p_value"]],
        "p, wild cluster bootstrap": [fmt_num(v, 3) for v in inference["wild_bootstrap_p"]],
        "p, randomization (permuted adoption)": [fmt_num(v, 3) for v in inference["randomization_p"]],
    })
    return _aligned(display, ["l", "l"] + ["r"] * 5)


def police_crime_honest(sensitivity: pd.DataFrame) -> pd.DataFrame:
    """models.metro.honest_sensitivity per policy: identified set and robust 95% interval of the average
    post-adoption effect for each M-bar, and the breakdown value."""
    breakdown = ["never" if np.isinf(v) else fmt_num(v, 2) for v in sensitivity["breakdown_m_bar"]]
    display = pd.DataFrame({
        "Policy": sensitivity["policy"].map(POLICY_LABELS), "M-bar": [fmt_num(v, 2) for v in sensitivity["m_bar"]],
        "Identified set": [f"[{fmt_num(lo, 3)}, {fmt_num(hi, 3)}]" for lo, hi in zip(sensitivity["lb"], sensitivity["ub"])],
        "Robust 95% CI": [f"[{fmt_num(lo, 3)}, {fmt_num(hi, 3)}]" for lo, hi in
                          zip(sensitivity["ci_low"], sensitivity["ci_high"])],
        "Breakdown M-bar": breakdown, "pre-trend p": [fmt_num(v, 3) for v in sensitivity["pretest_p"]],
    })
    return _aligned(display, ["l"] + ["r"] * 5)


def group_gap_validation(validation: pd.DataFrame, source: str) -> pd.DataFrame:
    """The panel's black and Latino gaps (relative to white) beside BJS's figures of that year, gaps in %."""
    ratio = lambda v: DASH if pd.isna(v) else f"{v:.2f}"  # noqa: E731
    return pd.DataFrame({
        "year (BJS)": validation["year"],
        "held out of the calibration": validation["held_out"].map({True: "yes", False: "no"}),
        "group": validation["group"].map(GROUP_LABELS),
        "BJS rate ratio to white": validation["bjs_heldout"].map(ratio),
        "calibration target": validation["calibration"].map(ratio),
        f"{source} panel, that year": validation["panel_year"].map(ratio),
        f"{source} panel, all years": validation["panel_all_years"].map(ratio),
        "gap": validation["gap"].map(lambda g: f"{100 * g:+.1f}%"),
    })
