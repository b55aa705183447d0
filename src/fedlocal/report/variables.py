"""The numbers each stage quotes in the manuscript (`{{< var stage.key >}}`), formatted once, here.

Each builder returns the dict a notebook hands to outputs.save_variables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fedlocal.data import covariates
from fedlocal.data.policies.panel import counties_on, first_full_month, peak_month, program_starts, spell_counts
from fedlocal.report.formatting import fmt_ci, fmt_int, fmt_month, fmt_num, fmt_p, fmt_pct
from fedlocal.vocab import GROUP_LABELS, POLICIES, POLICY_LABELS

# how the manuscript names the method behind the main p-values (run parameter few_cluster_inference)
INFERENCE_LABELS = {"cluster": "the clustered Wald test", "score_bootstrap": "the wild cluster score bootstrap"}


def weighted_prevalence_all(interviews: pd.DataFrame) -> float:
    """Weighted share of all person-interviews with a violent victimization."""
    return float(np.average(interviews["violent"], weights=interviews["weight"]))


def ncvs(interviews: pd.DataFrame, source: str, exposed: pd.DataFrame, planted: pd.DataFrame | None,
         exposure_rule: str, last_year: int) -> dict:
    """Stage 03: sample size, prevalence, SC exposure in the last year, the planted SC odds ratio for Latino persons."""
    n_persons, n_interviews = interviews["person_id"].nunique(), len(interviews)
    planted_sc = float("nan")
    if planted is not None and len(planted):
        planted_sc = planted.set_index(["policy", "group"])["odds_ratio"].get(("sc", "latino"), float("nan"))
    return {
        "source": source,
        "persons": fmt_int(n_persons),
        "interviews": fmt_int(n_interviews),
        "counties": int(interviews["county_fips"].nunique()),
        "interviews_per_person": fmt_num(n_interviews / n_persons, 2),
        "prevalence_all": fmt_pct(weighted_prevalence_all(interviews), 2),
        "exposed_sc_2014": fmt_pct(exposed.loc[last_year, "sc"]) if last_year in exposed.index else "n/a",
        "exposure_rule": exposure_rule,
        "planted_sc_latino": "none" if np.isnan(planted_sc) else fmt_num(planted_sc, 2),
    }


def models(estimates: pd.DataFrame, pattern: pd.DataFrame, comparison: pd.DataFrame, source: str, cluster: str,
           survey_weights: bool) -> dict:
    """Stage 04: sample sizes, every policy x group odds ratio with CI and p, agreement with the paper and the plant."""
    main = estimates.loc[estimates["group"] == "all"]
    variables = {"source": source, "cluster": cluster, "survey_weights": "yes" if survey_weights else "no",
                 "persons": fmt_int(main["persons"].iloc[0]), "interviews": fmt_int(main["interviews"].iloc[0]),
                 "counties": fmt_int(main["counties"].iloc[0]),
                 "pattern_agree": int(pattern["agrees"].sum()), "pattern_cells": int(len(pattern))}
    for r in estimates.itertuples():
        key = f"{r.policy}_{r.group}"
        variables[f"{key}_or"] = fmt_num(r.odds_ratio)
        variables[f"{key}_ci"] = fmt_ci(r.ci_low, r.ci_high)
        variables[f"{key}_p"] = fmt_p(r.p_value)
    if "p_bootstrap" in estimates:  # few-cluster inference: both p-values, G*, treated counties per cell
        variables["inference"] = INFERENCE_LABELS[estimates["inference"].iloc[0]]
        variables["bootstrap_draws"] = fmt_int(estimates["bootstrap_draws"].iloc[0])
        for r in estimates.itertuples():
            key = f"{r.policy}_{r.group}"
            variables[f"{key}_p_cluster"] = fmt_p(r.p_cluster)
            variables[f"{key}_p_boot"] = fmt_p(r.p_bootstrap)
            variables[f"{key}_gstar"] = fmt_num(r.effective_clusters, 1)
            variables[f"{key}_treated"] = fmt_int(r.treated_counties)
        significant_cluster = estimates["p_cluster"] < 0.05
        significant_boot = estimates["p_bootstrap"] < 0.05
        variables["cells_significant_cluster"] = int(significant_cluster.sum())
        variables["cells_significant_boot"] = int(significant_boot.sum())
        variables["cells_lost_by_boot"] = int((significant_cluster & ~significant_boot).sum())
        variables["cells"] = int(len(estimates))
        variables["gstar_min"] = fmt_num(estimates["effective_clusters"].min(), 1)
        variables["gstar_max"] = fmt_num(estimates["effective_clusters"].max(), 1)
    if source == "synthetic":
        variables["planted_covered"] = int(comparison["covered"].sum())
        variables["planted_cells"] = int(len(comparison))
    return variables


def robustness(conditional: pd.DataFrame, event_summary: pd.DataFrame, staggered: pd.DataFrame,
               differences: pd.DataFrame, source: str, event_window: int,
               random_intercept: tuple[pd.DataFrame, dict] | None = None) -> dict:
    """Stage 05: conditional-logit sample and odds ratios, SC lead test, SC Callaway-Sant'Anna (weighted and
    unweighted) and Sun-Abraham, group-equality tests; the person random-intercept logit (its sample, SD, the
    work of its fit against the pooled one's, and its odds ratios beside the pooled fit's on the same persons)."""
    from fedlocal.models.estimate import JOINT_TEST  # here: models.estimate loads scipy, which stages 01-03 never need

    sc_event = event_summary.set_index("policy").loc["sc"]
    by_cell = conditional.set_index(["policy", "group"])
    by_model = staggered.set_index(["model", "group"])
    callaway_santanna = by_model.loc[("callaway_santanna", "all")]
    variables = {
        "source": source, "event_window": event_window,
        "clogit_persons": int(by_cell.loc[("sc", "all"), "persons"]),
        "clogit_persons_total": int(by_cell.loc[("sc", "all"), "persons_total"]),
        "clogit_persons_outcome_varies": int(by_cell.loc[("sc", "all"), "persons_outcome_varies"]),
        "sc_lead_p": fmt_p(sc_event["lead_p"]) if sc_event["estimated"] else "not estimated",
        "sc_cs_att": fmt_num(callaway_santanna["estimate"], 3),
        "sc_cs_ci": fmt_ci(callaway_santanna["ci_low"], callaway_santanna["ci_high"], 3),
        "sc_cells_twfe": fmt_num(by_model.loc[("cells_twfe", "all"), "estimate"], 3),
        "sc_cs_counties": fmt_int(callaway_santanna["counties"]),
    }
    for model, key in (("callaway_santanna_unweighted", "sc_cs_unweighted"), ("sun_abraham", "sc_sun_abraham")):
        r = by_model.loc[(model, "all")]
        variables[f"{key}_att"] = fmt_num(r["estimate"], 3)
        variables[f"{key}_ci"] = fmt_ci(r["ci_low"], r["ci_high"], 3)
    for (p, g), r in by_cell.iterrows():
        variables[f"clogit_{p}_{g}_or"] = fmt_num(r["odds_ratio"])
        variables[f"clogit_{p}_{g}_ci"] = fmt_ci(r["ci_low"], r["ci_high"])
    for r in differences.loc[differences["comparison"] == JOINT_TEST].itertuples():
        variables[f"{r.policy}_groups_equal_p"] = fmt_p(r.p_value)
    if random_intercept is not None:
        estimates, summary = random_intercept
        variables.update({
            "ri_persons": fmt_int(summary["persons"]), "ri_interviews": fmt_int(summary["interviews"]),
            "ri_persons_total": fmt_int(summary["persons_total"]), "ri_sd": fmt_num(summary["sd"], 2),
            "ri_sample": (f"all {fmt_int(summary['persons'])} persons" if summary["persons"] == summary["persons_total"]
                          else f"a random sample of {fmt_int(summary['persons'])} of the "
                               f"{fmt_int(summary['persons_total'])} persons"),
            "ri_sd_se": fmt_num(summary["sd_se"], 2), "ri_nodes": int(summary["n_quad"]),
            "ri_evaluations": int(summary["evaluations"]), "ri_pooled_iterations": int(summary["pooled_iterations"]),
        })
        for r in estimates.itertuples():
            key = "ri" if r.model == "random_intercept_logit" else "ri_pooled"
            variables[f"{key}_{r.policy}_{r.group}_or"] = fmt_num(r.odds_ratio)
            variables[f"{key}_{r.policy}_{r.group}_ci"] = fmt_ci(r.ci_low, r.ci_high)
    return variables


def policies(spells: pd.DataFrame, panel: pd.DataFrame, events: pd.DataFrame, agree: pd.DataFrame, sc_check: dict,
             sensitivity: pd.DataFrame | None = None) -> dict:
    """Stage 01: first and full SC coverage, the 287(g) peak, anti-detainer events, spells and counties per program,
    agreement with East et al. and between the two SC files, and per program the alternative coding that moves
    person-months most (data.policies.sensitivity.coding_sensitivity) with its change in %."""
    counts = spell_counts(spells)
    peak, peak_counties = peak_month(panel, ("jem", "tfm"))
    by_program = agree.set_index("program")
    variables = {
        "sc_first_activation": program_starts(spells, "sc").min(),
        "sc_full_coverage_month": fmt_month(first_full_month(panel, "sc")),
        "peak_287g_counties": peak_counties,
        "peak_287g_month": fmt_month(peak),
        "sc_white_monthly_agree_pct": fmt_pct(sc_check["share_same_month"]),
        "sc_counties_both_files": fmt_int(sc_check["counties_both"]),
        "antidetainer_events": fmt_int(len(events)),
        "antidetainer_events_undated": fmt_int((events["date_used"] == "").sum()),
        "antidetainer_counties_2014": fmt_int(counties_on(panel, "antidetainer", "2014-12")),
    }
    for p in POLICIES:
        variables[f"{p}_counties"] = fmt_int(counts.loc[p, "counties"])
        variables[f"{p}_spells"] = fmt_int(counts.loc[p, "spells"])
    for p in ("jem", "tfm", "any_287g"):
        variables[f"east_agree_{p}_pct"] = fmt_pct(by_program.loc[p, "agree_share"])
        variables[f"east_agree_when_on_{p}_pct"] = fmt_pct(by_program.loc[p, "agree_when_on_share"])
    if sensitivity is not None:
        alternatives = sensitivity[sensitivity["change"] != ""]
        for p in POLICIES:
            rows = alternatives[alternatives["program"] == p]
            largest = rows.loc[rows["person_months_change"].abs().idxmax()]
            variables[f"coding_largest_{p}"] = largest["coding"]
            variables[f"coding_largest_{p}_pct"] = f"{100 * largest['person_months_change']:+.0f}"
    return variables


HAZARD_KEYS = {"287(g)": "g287", "Secure Communities": "sc"}  # model -> variable prefix
ADOPTER_KEYS = {"287(g) jail": "jem", "287(g) task force": "tfm", "SC by 2010": "sc_early", "anti-detainer": "antidetainer"}


def counties(panel: pd.DataFrame, hazard: pd.DataFrame, balance: pd.DataFrame, border_sc_early: int) -> dict:
    """Stage 02: size of the covariate panel, Los Angeles spot values, each hazard model's sample and odds ratios,
    adopters' Latino share and size against the other counties, border counties with early SC."""
    described = covariates.describe(panel)
    variables = {
        "counties_in_panel": described["counties"],
        "county_years": described["county_years"],
        "border_counties": described["border_counties"],
        "new_destination_counties": described["new_destination_counties"],
        "metro_counties": described["metro_counties"],
        "unemployment_missing_county_years": described["unemployment_missing_county_years"],
        "la_foreign_born_2005": fmt_num(covariates.value_at(panel, "06037", 2005, "pct_foreign_born"), 1),
        "la_unemployment_2014": fmt_num(covariates.value_at(panel, "06037", 2014, "unemployment_rate"), 1),
    }
    for model, key in HAZARD_KEYS.items():
        rows = hazard.loc[hazard["model"] == model]
        variables[f"{key}_entries"] = int(rows["n_events"].iloc[0])
        variables[f"{key}_county_years"] = int(rows["n_county_years"].iloc[0])
        for r in rows.itertuples():
            if np.isfinite(r.odds_ratio):
                variables[f"{key}_or_{r.term}"] = fmt_num(r.odds_ratio, 2)
                variables[f"{key}_ci_{r.term}"] = fmt_ci(r.ci_low, r.ci_high)
    by_covariate = balance.set_index("covariate")
    for name, key in ADOPTER_KEYS.items():
        variables[f"{key}_adopters"] = int(by_covariate.loc["counties", f"{name}: adopters"])
        variables[f"{key}_pct_latino_adopters"] = fmt_num(by_covariate.loc["pct_latino", f"{name}: adopters"], 1)
        variables[f"{key}_pct_latino_others"] = fmt_num(by_covariate.loc["pct_latino", f"{name}: others"], 1)
        variables[f"{key}_population_k_adopters"] = fmt_int(by_covariate.loc["population_k", f"{name}: adopters"])
        variables[f"{key}_population_k_others"] = fmt_int(by_covariate.loc["population_k", f"{name}: others"])
    variables["border_sc_by_2010"] = fmt_int(border_sc_early)
    return variables


def crime(panel: pd.DataFrame, coverage: pd.DataFrame, twfe_log_rate: pd.DataFrame, sc_staggered: dict,
          antidetainer_staggered: dict, windows: list[tuple[int, int]], match_threshold: float,
          adoption_share: float, few_cluster: pd.DataFrame | None = None, honest: pd.DataFrame | None = None) -> dict:
    """Stage 06: the MSA panel's size and coverage (MSAs per year over the years the analysis `windows` span), the SC
    and 287(g) jail TWFE effects (`twfe_log_rate`: models.metro.twfe on the log rate, one row per term) and the SC and
    anti-detainer Callaway-Sant'Anna effects as percent changes, their pre-trend p-values, the anti-detainer minimum
    detectable effect; with `few_cluster` (models.metro.few_cluster_inference, outcome labelled) the 287(g) jail
    model's bootstrap and randomization p-values on the log rate, with `honest` (models.metro.honest_sensitivity per
    policy) the breakdown values."""
    from fedlocal.models import metro  # here, not at the top: it loads scipy.stats, which stages 01-03 never need

    first, last = min(first for first, _ in windows), max(last for _, last in windows)
    analysis_counts = coverage.loc[coverage["year"].between(first, last), "analysis"]
    by_term = twfe_log_rate.set_index("term")
    log_points = {
        "sc_twfe_pct": by_term.loc["sc", "estimate"], "sc_twfe_ci_low_pct": by_term.loc["sc", "ci_low"],
        "sc_twfe_ci_high_pct": by_term.loc["sc", "ci_high"], "jem_twfe_pct": by_term.loc["jem", "estimate"],
        "jem_twfe_ci_low_pct": by_term.loc["jem", "ci_low"], "jem_twfe_ci_high_pct": by_term.loc["jem", "ci_high"],
        "sc_cs_pct": sc_staggered["overall"]["estimate"], "sc_cs_ci_low_pct": sc_staggered["overall"]["ci_low"],
        "sc_cs_ci_high_pct": sc_staggered["overall"]["ci_high"],
        "ad_cs_pct": antidetainer_staggered["overall"]["estimate"],
        "ad_cs_ci_low_pct": antidetainer_staggered["overall"]["ci_low"],
        "ad_cs_ci_high_pct": antidetainer_staggered["overall"]["ci_high"],
        "ad_mde_pct": metro.minimum_detectable_effect(antidetainer_staggered["overall"]["se"]),
    }
    return {
        "n_msa_years": fmt_int(len(panel)), "n_msas": fmt_int(panel["msa_id"].nunique()),
        "msas_per_year_min": fmt_int(analysis_counts.min()), "msas_per_year_max": fmt_int(analysis_counts.max()),
        "pop_share_2010": fmt_pct(coverage.set_index("year")["pop_share_analysis"][2010]),
        "match_threshold": fmt_num(match_threshold, 2), "adoption_share": fmt_num(adoption_share, 2),
        **{key: fmt_num(metro.percent_change(value), 1) for key, value in log_points.items()},
        "sc_cs_n_msas": fmt_int(sc_staggered["n_units"]), "sc_pretest_p": fmt_num(sc_staggered["pretest"]["p_value"], 3),
        "ad_treated_msas": fmt_int(antidetainer_staggered["n_treated"]),
        "ad_pretest_p": fmt_num(antidetainer_staggered["pretest"]["p_value"], 3),
        **_crime_inference(few_cluster, honest),
    }


def _specification_move(move: dict | None, prefix: str) -> dict:
    if move is None:
        return {f"{prefix}_cell": "", f"{prefix}_specification": "", f"{prefix}_from": "", f"{prefix}_to": ""}
    return {f"{prefix}_cell": f"{POLICY_LABELS[move['policy']]}, {GROUP_LABELS[move['group']]}",
            f"{prefix}_specification": move["specification"], f"{prefix}_from": fmt_num(move["from"], 2),
            f"{prefix}_to": fmt_num(move["to"], 2)}


def specifications(summary: dict) -> dict:
    """Stage 08 (fedlocal.specifications.summary) formatted for the text: counts, the largest move overall and among
    the pooled estimates (cell, specification, odds ratio from and to), and a sentence naming the specifications that
    change no odds ratio by more than 0.5% ('' when there are none)."""
    unchanged = summary["unchanged"]
    names = " and ".join(f'"{u}"' for u in unchanged) if len(unchanged) <= 2 else \
        ", ".join(f'"{u}"' for u in unchanged[:-1]) + f', and "{unchanged[-1]}"'
    sentence = "" if not unchanged else f"Under {names} no odds ratio moves by more than 0.5%."
    return {"count": summary["count"], "comparisons": summary["comparisons"], "verdict_changes": summary["verdict_changes"],
            **_specification_move(summary["largest"], "largest"),
            **_specification_move(summary["largest_pooled"], "largest_pooled"), "unchanged_sentence": sentence}


def specification_curve(summary: pd.DataFrame, same: list[str], rows: list[tuple[str, str]]) -> dict:
    """Stage 08's specification curve for the text: the number of specifications and of choices varied (choices with
    more than one row in the matrix, `rows`), per policy
    and group (keys `<policy>_<group>_...`) this run's odds ratio and rank, the range, and how many intervals
    exclude 1; and a sentence naming the specifications whose point estimates are this run's in every cell."""
    keys = [k for k, _ in rows]
    out = {"count": int(summary["specifications"].max()) if len(summary) else 0,
           "choices": len({k for k in keys if keys.count(k) > 1})}
    for r in summary.itertuples():
        key = f"{r.policy}_{r.group}"
        out |= {f"{key}_this_run": fmt_num(r.this_run, 2), f"{key}_rank": int(r.this_run_rank),
                f"{key}_min": fmt_num(r.smallest, 2), f"{key}_max": fmt_num(r.largest, 2),
                f"{key}_median": fmt_num(r.median, 2), f"{key}_excluding_one": int(r.excluding_one),
                f"{key}_above_one": int(r.above_one)}
    names = " and ".join(f'"{u}"' for u in same) if len(same) <= 2 else \
        ", ".join(f'"{u}"' for u in same[:-1]) + f', and "{same[-1]}"'
    out["same_estimates_sentence"] = "" if not same else (
        f"Under {names} every point estimate is this run's (only the intervals differ), so "
        f"{'it sits' if len(same) == 1 else 'they sit'} beside this run on every curve.")
    return out


def _crime_inference(few_cluster: pd.DataFrame | None, honest: pd.DataFrame | None) -> dict:
    out = {}
    if few_cluster is not None:
        for label, key in (("log violent crime rate", "jem"), ("log violent crime rate without rape", "jem_no_rape")):
            row = few_cluster.loc[(few_cluster["outcome"] == label) & (few_cluster["term"] == "jem")].iloc[0]
            out[f"{key}_cluster_p"] = fmt_num(row["p_value"], 3)
            out[f"{key}_wild_p"] = fmt_num(row["wild_bootstrap_p"], 3)
            out[f"{key}_ri_p"] = fmt_num(row["randomization_p"], 3)
            out[f"{key}_treated_msas"] = fmt_int(row["n_treated_units"])
    if honest is not None:
        for policy, key in (("sc", "sc"), ("antidetainer", "ad")):
            value = honest.loc[honest["policy"] == policy, "breakdown_m_bar"].iloc[0]
            out[f"{key}_breakdown_m_bar"] = "never" if np.isinf(value) else fmt_num(value, 2)
    return out


def group_gap_validation(validation: pd.DataFrame) -> dict:
    """``gapcheck_<group>_<year>_{bjs,panel,gap}`` and the largest absolute gap: the validation of notebook 03."""
    values = {"gapcheck_gap_max": fmt_pct(float(validation["gap"].abs().max()), 1)}
    for r in validation.itertuples():
        key = f"gapcheck_{r.group}_{r.year}"
        values[f"{key}_bjs"] = fmt_num(r.bjs_heldout)
        values[f"{key}_panel"] = fmt_num(r.panel_year if pd.notna(r.panel_year) else r.panel_all_years)
        values[f"{key}_gap"] = fmt_pct(r.gap, 1)
    return values
