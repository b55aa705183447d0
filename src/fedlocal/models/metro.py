"""Policy effects on police-recorded crime in a metro area x year panel.

Two designs: two-way fixed effects (MSA and year) on continuous exposure with MSA-clustered errors,
and Callaway-Sant'Anna group-time effects on a binary adoption year with not-yet-treated (or
never-treated) controls, aggregated by event time, with the Wald pre-test of parallel trends. TWFE
on a staggered rollout compares late with early adopters and can be biased when effects change
over time (Goodman-Bacon 2021); the group-time estimator uses only clean comparisons.

`twfe_fit` is the project's one two-way fixed-effects regression (pyfixest); the interview-level and
county-cell models of `staggered` use it too.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from fedlocal import FedlocalError


class MetroModelError(FedlocalError):
    """The MSA panel cannot support the requested model."""


def twfe_fit(data: pd.DataFrame, outcome: str, regressors: list[str], unit: str, period: str, cluster: str,
             weights: str | None = None, k_fixef: str = "nonnested", drop_singletons: bool = True):
    """pyfixest's feols of `outcome` on `regressors` with `unit` effects absorbed, `period` effects as dummies,
    and CR1 errors clustered by `cluster`; `k_fixef` is pyfixest's count of fixed effects in the small-sample
    factor (`pyfixest.ssc`).

    One absorbed effect is swept out exactly by its group means. With two absorbed effects pyfixest demeans
    by alternating projections, to a tolerance, in an order taken from a Python set: the last digits of
    the results then changed with PYTHONHASHSEED. A panel has few periods, so their dummies cost little.
    """
    import pyfixest as pf

    formula = f"{outcome} ~ {' + '.join(regressors)} + C({period}) | {unit}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(formula, data=data, vcov={"CRV1": cluster}, weights=weights, ssc=pf.ssc(k_fixef=k_fixef),
                        fixef_rm="singleton" if drop_singletons else "none")


def twfe(panel: pd.DataFrame, outcome: str, exposures: list[str], unit: str = "msa_id", time: str = "year",
         alpha: float = 0.05) -> pd.DataFrame:
    """OLS of `outcome` on `exposures` with unit and time fixed effects, errors clustered by unit.

    Rows with any missing value are dropped. Returns one row per exposure: term, estimate, se,
    ci_low, ci_high, p_value, n_obs, n_units, n_treated_units (units with any nonzero exposure).
    """
    d = panel[[unit, time, outcome, *exposures]].dropna()
    if d.empty or d[unit].nunique() < 2:
        raise MetroModelError(f"TWFE of {outcome}: no usable MSA x year rows.")
    for x in exposures:
        if d[x].nunique() < 2:
            raise MetroModelError(f"TWFE of {outcome}: exposure {x!r} does not vary in the sample.")
    tidy = twfe_fit(d, outcome, exposures, unit, time, cluster=unit).tidy(alpha=alpha)
    out = pd.DataFrame({
        "term": list(exposures),
        "estimate": [float(tidy.loc[x, "Estimate"]) for x in exposures],
        "se": [float(tidy.loc[x, "Std. Error"]) for x in exposures],
        "p_value": [float(tidy.loc[x, "Pr(>|t|)"]) for x in exposures],
    })
    crit = stats.t.ppf(1 - alpha / 2, d[unit].nunique() - 1)  # pyfixest's CRV1 uses G - 1 degrees of freedom
    out["ci_low"] = out.estimate - crit * out.se
    out["ci_high"] = out.estimate + crit * out.se
    out["n_obs"] = len(d)
    out["n_units"] = d[unit].nunique()
    out["n_treated_units"] = [int((d.groupby(unit)[x].max() > 0).sum()) for x in exposures]
    return out


def callaway_santanna(panel: pd.DataFrame, outcome: str, cohort: str, unit: str = "msa_id", time: str = "year",
                      control_group: str = "not_yet_treated", alpha: float = 0.05, min_cohort_size: int = 5) -> dict:
    """Callaway-Sant'Anna ATT(g, t) with outcome regression, aggregated overall and by event time.

    `cohort` holds each unit's adoption year (0 or NaN = never adopted within the panel). The panel
    is made balanced (units observed in every year of the sample). Units already treated in the
    first year cannot be used and are dropped, and so are cohorts (the never-treated included) of
    fewer than `min_cohort_size` units (a one-MSA cohort gives group-time effects, and a pre-test covariance, resting on one
    series). Returns {'overall': dict(estimate, se, ci_low,
    ci_high), 'event': DataFrame(event_time, estimate, se, ci_low, ci_high), 'pretest':
    dict(W, df, p_value), 'cohorts': Series of units per cohort, 'n_units', 'years'}.
    Analytic (influence-function) standard errors, which are clustered by unit in a panel.
    """
    from differences import ATTgt

    d = panel[[unit, time, outcome, cohort]].dropna(subset=[outcome]).copy()
    years = sorted(d[time].unique())
    complete = d.groupby(unit)[time].nunique() == len(years)
    d = d[d[unit].isin(complete[complete].index)]
    d[cohort] = d[cohort].replace(0, np.nan).astype(float)
    d = d[~(d[cohort] <= years[0])]  # adopted before the first year: no pre-period
    size = d.drop_duplicates(unit)[cohort].value_counts()
    d = d[~d[cohort].isin(size[size < min_cohort_size].index)]
    n_never = d[d[cohort].isna()][unit].nunique()
    if 0 < n_never < min_cohort_size:  # a handful of never-treated units would be the only control of the last cohort
        d = d[d[cohort].notna()]
    n_treated = d.dropna(subset=[cohort])[unit].nunique()
    if n_treated == 0:
        raise MetroModelError(f"Callaway-Sant'Anna of {outcome}: no unit adopts inside {years[0]}-{years[-1]}.")
    if control_group == "never_treated" and d[cohort].isna().sum() == 0:
        raise MetroModelError(f"Callaway-Sant'Anna of {outcome}: no never-treated units for control_group='never_treated'.")
    d = d.set_index([unit, time]).sort_index()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        att = ATTgt(data=d, cohort_column=cohort, base_period="varying")
        att.fit(formula=outcome, est_method="reg", control_group=control_group, alpha=alpha, progress_bar=False)
        simple = att.aggregate("simple", alpha=alpha)
        event = att.aggregate("event", alpha=alpha)
    overall = _first_row(simple)
    ev = _flatten(event)
    ev = pd.DataFrame({
        "event_time": [int(i) for i in ev.index], "estimate": ev["ATT"].astype(float).values,
        "se": ev["std_error"].astype(float).values, "ci_low": ev["lower"].astype(float).values,
        "ci_high": ev["upper"].astype(float).values,
    })
    pretest = pre_trend_test(att._result_dict["full_sample"]["ATTgt_ntl"])
    cohorts = d.reset_index().drop_duplicates(unit)[cohort].fillna(0).astype(int).value_counts().sort_index()
    return {
        "overall": overall, "event": ev,
        "pretest": pretest,
        "cohorts": cohorts, "n_units": int(d.index.get_level_values(0).nunique()), "n_treated": int(n_treated),
        "years": (int(years[0]), int(years[-1])),
    }


def pre_trend_test(gt_results: list) -> dict:
    """Wald test that every pre-treatment ATT(g, t) is zero (Callaway and Sant'Anna 2021, section 4.3).

    Uses the influence functions of the group-time estimates for their joint covariance. (The
    `differences` 0.3 property `wald_pre_test` fails on a keyword error, so the same computation is
    done here from its stored results; a singular covariance is inverted by pseudo-inverse with df =
    its rank.) Returns W (chi-squared), df and p_value.
    """
    from differences.models.attgt.utility_ntl import filter_ntl, get_vcv_from_if, stack_influence_funcs

    pre = filter_ntl(ntl=gt_results, pre=True, non_zero_influence_func=True)
    if not pre:
        return {"W": np.nan, "df": 0, "p_value": np.nan}
    est = np.array([float(r.ATT) for r in pre])
    vcv, n = get_vcv_from_if(inf_funcs=stack_influence_funcs(pre), return_n_obs=True)
    vcv = np.atleast_2d(vcv)
    rank = int(np.linalg.matrix_rank(vcv, hermitian=True))  # group-time effects sharing comparisons can be collinear
    w = float(n * est @ np.linalg.pinv(vcv, hermitian=True) @ est)
    return {"W": w, "df": rank, "p_value": float(stats.chi2.sf(w, rank))}


def _flatten(table: pd.DataFrame) -> pd.DataFrame:
    """The `differences` result tables have two-level columns (outcome, statistic); keep the statistic."""
    t = table.copy()
    if isinstance(t.columns, pd.MultiIndex):
        t.columns = [c[-1] for c in t.columns]
    if isinstance(t.index, pd.MultiIndex):
        t.index = t.index.get_level_values(-1)
    return t


def _first_row(table: pd.DataFrame) -> dict:
    t = _flatten(table).iloc[0]
    return {"estimate": float(t["ATT"]), "se": float(t["std_error"]), "ci_low": float(t["lower"]), "ci_high": float(t["upper"])}


def callaway_santanna_row(result: dict) -> dict:
    """A `callaway_santanna` result as one row of an estimates table: the overall effect (estimate, se, ci_low,
    ci_high) with its p-value, the balanced panel's MSA-years (n_obs) and MSAs (n_units), the treated MSAs,
    the pre-trend test's p-value (pretest_p) and the minimum detectable effect (mde)."""
    first, last = result["years"]
    overall = result["overall"]
    return {**overall, "p_value": normal_p_value(overall["estimate"], overall["se"]),
            "n_obs": result["n_units"] * (last - first + 1), "n_units": result["n_units"],
            "n_treated_units": result["n_treated"], "pretest_p": result["pretest"]["p_value"],
            "mde": minimum_detectable_effect(overall["se"])}


def normal_p_value(estimate: float, se: float) -> float:
    """Two-sided p-value of an estimate against zero with a normal reference (the influence-function and
    large-sample errors here are asymptotic)."""
    return float(2 * stats.norm.sf(abs(estimate / se)))


def minimum_detectable_effect(se: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest true effect a two-sided test at `alpha` detects with probability `power`, given its SE."""
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * se)


def percent_change(log_points: float) -> float:
    """A coefficient on a log outcome as the percent change it implies, 100 * (exp(b) - 1)."""
    return 100 * (np.exp(log_points) - 1)
