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
         alpha: float = 0.05, weights: str | None = None) -> pd.DataFrame:
    """OLS of `outcome` on `exposures` with unit and time fixed effects, errors clustered by unit; with `weights`
    (e.g. population), each unit is weighted by its mean of that column over the sample, a weight that does not
    change over time (as in `callaway_santanna`).

    Rows with any missing value are dropped. Returns one row per exposure: term, estimate, se,
    ci_low, ci_high, p_value, n_obs, n_units, n_treated_units (units with any nonzero exposure).
    """
    d = panel[[unit, time, outcome, *exposures, *([weights] if weights else [])]].dropna()
    if weights:
        d = d.assign(unit_weight=d.groupby(unit)[weights].transform("mean"))
    if d.empty or d[unit].nunique() < 2:
        raise MetroModelError(f"TWFE of {outcome}: no usable MSA x year rows.")
    for x in exposures:
        if d[x].nunique() < 2:
            raise MetroModelError(f"TWFE of {outcome}: exposure {x!r} does not vary in the sample.")
    tidy = twfe_fit(d, outcome, exposures, unit, time, cluster=unit, weights="unit_weight" if weights else None).tidy(alpha=alpha)
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


PARTLY_TREATED = ("treated", "drop")


def callaway_santanna(panel: pd.DataFrame, outcome: str, cohort: str, unit: str = "msa_id", time: str = "year",
                      control_group: str = "not_yet_treated", alpha: float = 0.05, min_cohort_size: int = 5,
                      exposure: str | None = None, partly_treated: str = "treated", weights: str | None = None,
                      base_period: str = "varying") -> dict:
    """Callaway-Sant'Anna ATT(g, t) with outcome regression, aggregated overall and by event time.

    `cohort` holds each unit's adoption year (0 or NaN = never adopted within the panel). The panel
    is made balanced (units observed in every year of the sample). Units already treated in the
    first year cannot be used and are dropped, and so are cohorts (the never-treated included) of
    fewer than `min_cohort_size` units (a one-MSA cohort gives group-time effects, and a pre-test covariance, resting on one
    series).

    An MSA adopts when a share of its population is covered (`msa_adoption_share`), so the year before adoption -
    the base year of every comparison - can be partly covered already (up to just under that share), which pulls
    the estimate towards zero. With `exposure` (the column of each year's covered share) such *partly treated*
    years (share above 0 before the adoption year) are either counted as `"treated"` (the unit's cohort becomes
    its first year of any coverage, so its base year is uncovered) or `"drop"`ped (those unit-years leave every
    comparison; the panel is then unbalanced and each comparison uses the units observed in both its years,
    `differences`' panel mode).

    `weights` (e.g. population) weights each unit by its mean of that column over the sample: a weight that does
    not change over time, the only kind with which reference implementations agree (see `staggered`).

    `base_period` "varying" compares each pre-adoption year with the year before it; "universal" compares every
    year with the year before adoption (event time -1, then 0 by construction and left out), the event study
    `honest_sensitivity` needs.

    Returns {'overall': dict(estimate, se, ci_low, ci_high), 'event': DataFrame(event_time, estimate, se, ci_low,
    ci_high), 'event_vcov': covariance of the event-time estimates (from their influence functions), 'pretest':
    dict(W, df, p_value), 'cohorts': Series of units per cohort, 'n_units', 'n_treated', 'n_obs', 'years',
    'sample': the unit-years used (unit, time, cohort)}.
    Analytic (influence-function) standard errors, which are clustered by unit in a panel.
    """
    from differences import ATTgt

    if partly_treated not in PARTLY_TREATED:
        raise MetroModelError(f"partly_treated={partly_treated!r}: use one of {PARTLY_TREATED} (parameter msa_partly_treated).")
    columns = [unit, time, outcome, cohort, *([exposure] if exposure else []), *([weights] if weights else [])]
    d = panel[list(dict.fromkeys(columns))].dropna(subset=[outcome]).copy()
    years = sorted(d[time].unique())
    complete = d.groupby(unit)[time].nunique() == len(years)
    d = d[d[unit].isin(complete[complete].index)]
    d[cohort] = d[cohort].replace(0, np.nan).astype(float)
    if exposure:
        partly = (d[exposure] > 0) & ~(d[time] >= d[cohort])  # covered in part before the adoption year (or never adopting)
        if partly_treated == "treated":
            first = d.loc[partly].groupby(unit)[time].min()
            d[cohort] = np.fmin(d[cohort], d[unit].map(first).astype(float))
        else:
            d = d.loc[~partly]
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
    if weights:
        d["unit_weight"] = d.groupby(unit)[weights].transform("mean")
    d = d.set_index([unit, time]).sort_index()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        att = ATTgt(data=d[[c for c in (outcome, cohort, "unit_weight") if c in d.columns]], cohort_column=cohort,
                    base_period=base_period)
        att.fit(formula=outcome, est_method="reg", control_group=control_group, alpha=alpha, progress_bar=False,
                weights_column="unit_weight" if weights else None, as_repeated_cross_section=False)
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
    event_vcov = _event_vcov(att._result_dict["full_sample"]["aggregate_inst"].event)
    cohorts = d.reset_index().drop_duplicates(unit)[cohort].fillna(0).astype(int).value_counts().sort_index()
    return {
        "overall": overall, "event": ev, "event_vcov": event_vcov,
        "pretest": pretest,
        "cohorts": cohorts, "n_units": int(d.index.get_level_values(0).nunique()), "n_treated": int(n_treated),
        "n_obs": int(len(d)), "years": (int(years[0]), int(years[-1])),
        "sample": d.reset_index()[[unit, time, cohort]].assign(**{cohort: lambda x: x[cohort].fillna(0).astype(int)}),
    }


def same_sample_twfe(panel: pd.DataFrame, result: dict, outcome: str, cohort: str, unit: str = "msa_id",
                     time: str = "year", weights: str | None = None) -> pd.DataFrame:
    """Two-way fixed effects on exactly the unit-years and the adoption indicator (year >= cohort) of a
    `callaway_santanna` result, so that the two estimators differ in nothing but the estimator. One row as `twfe`."""
    sample = result["sample"].rename(columns={cohort: "cohort_used"})
    d = sample.merge(panel[list(dict.fromkeys([unit, time, outcome, *([weights] if weights else [])]))], on=[unit, time])
    d["adopted"] = ((d["cohort_used"] > 0) & (d[time] >= d["cohort_used"])).astype(float)
    return twfe(d, outcome, ["adopted"], unit, time, weights=weights)


def design_choices(panel: pd.DataFrame, policy: str, outcome: str, control_group: str,
                   weights_column: str = "population") -> pd.DataFrame:
    """Callaway-Sant'Anna and two-way fixed effects on the same unit-years, under each treatment of partly treated
    base years (`PARTLY_TREATED`) and unweighted beside weighted by `weights_column`, for one policy and outcome.

    `panel` is the MSA x year panel cut to the policy's window, with `<policy>` (covered share) and
    `<policy>_adoption_year`. One row per partly_treated x weights x estimator: estimate, se, ci_low, ci_high,
    p_value, n_obs, n_units, n_treated_units, pretest_p (Callaway-Sant'Anna only).
    """
    rows = []
    for partly in PARTLY_TREATED:
        for weights in (None, weights_column):
            result = callaway_santanna(panel, outcome, f"{policy}_adoption_year", control_group=control_group,
                                       exposure=policy, partly_treated=partly, weights=weights)
            labels = {"policy": policy, "outcome": outcome, "partly_treated": partly,
                      "weights": weights or "none", "n_treated_units": result["n_treated"]}
            rows.append({**labels, "estimator": "Callaway-Sant'Anna", **callaway_santanna_row(result)})
            same = same_sample_twfe(panel, result, outcome, f"{policy}_adoption_year", weights=weights).iloc[0]
            rows.append({**labels, "estimator": "TWFE, same MSA-years", "pretest_p": np.nan,
                         **same[["estimate", "se", "ci_low", "ci_high", "p_value", "n_obs", "n_units"]].to_dict()})
    columns = ["policy", "outcome", "partly_treated", "weights", "estimator", "estimate", "se", "ci_low", "ci_high",
               "p_value", "n_obs", "n_units", "n_treated_units", "pretest_p"]
    return pd.DataFrame(rows)[columns]


def _event_vcov(event_results: list) -> np.ndarray:
    """Covariance of the `differences` event-time aggregates from their influence functions (in event-time order)."""
    from differences.models.attgt.utility_ntl import get_vcv_from_if, stack_influence_funcs

    vcv, n = get_vcv_from_if(inf_funcs=stack_influence_funcs(event_results), return_n_obs=True)
    return np.atleast_2d(vcv) / n


def honest_sensitivity(result: dict, m_bars=(0.5, 1.0, 2.0), alpha: float = 0.05) -> pd.DataFrame:
    """Rambachan-Roth (2023) sensitivity of a `callaway_santanna(..., base_period="universal")` event study to
    violations of parallel trends, by relative magnitudes: after adoption, the trend difference may move from one
    year to the next by up to M-bar times the largest such move before adoption. The target is the average of the
    post-adoption event-time effects.

    Uses the HonestDiD implementation of the `diff-diff` package (relative-magnitude identified set and robust
    confidence interval, with the event-time covariance from the influence functions) rather than one written here.
    Returns one row per M-bar (0 first): m_bar, lb, ub (identified set), ci_low, ci_high, and the breakdown value
    (the smallest M-bar at which the robust interval includes zero; 0 when it does under parallel trends, inf when
    it never does) in every row.
    """
    from diff_diff.honest_did import HonestDiD
    from diff_diff.results import MultiPeriodDiDResults, PeriodEffect

    ev = result["event"].reset_index(drop=True)
    keep = ev.index[ev["event_time"] != -1]
    ev, vcov = ev.loc[keep].reset_index(drop=True), result["event_vcov"][np.ix_(keep, keep)]
    z = stats.norm.ppf(1 - alpha / 2)
    effects = {int(r.event_time): PeriodEffect(period=int(r.event_time), effect=float(r.estimate), se=float(r.se),
                                               t_stat=float(r.estimate / r.se), p_value=normal_p_value(r.estimate, r.se),
                                               conf_int=(float(r.estimate - z * r.se), float(r.estimate + z * r.se)))
               for r in ev.itertuples()}
    overall = result["overall"]
    es = MultiPeriodDiDResults(
        period_effects=effects, avg_att=overall["estimate"], avg_se=overall["se"],
        avg_t_stat=overall["estimate"] / overall["se"], avg_p_value=normal_p_value(overall["estimate"], overall["se"]),
        avg_conf_int=(overall["ci_low"], overall["ci_high"]), n_obs=int(result["n_obs"]), n_treated=int(result["n_treated"]),
        n_control=int(result["n_units"] - result["n_treated"]), alpha=alpha,
        pre_periods=sorted(e for e in [*effects, -1] if e < 0), post_periods=sorted(e for e in effects if e >= 0),
        vcov=vcov, reference_period=-1, interaction_indices={e: i for i, e in enumerate(effects)})
    honest = HonestDiD(method="relative_magnitude", alpha=alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = [{"m_bar": float(m), **{k: float(getattr(fit, k)) for k in ("lb", "ub")},
                 "ci_low": float(fit.ci_lb), "ci_high": float(fit.ci_ub)}
                for m in (0.0, *m_bars) for fit in [honest.fit(es, M=m)]]
        breakdown = honest.breakdown_value(es)
    return pd.DataFrame(rows).assign(breakdown_m_bar=np.inf if breakdown is None else float(breakdown))


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


def wild_bootstrap_p(panel: pd.DataFrame, outcome: str, exposures: list[str], term: str, unit: str = "msa_id",
                     time: str = "year", reps: int = 9999, seed: int = 0) -> float:
    """p-value of `term` in `twfe` from a wild cluster bootstrap (WCR, Rademacher weights, null imposed, clusters =
    units): pyfixest's `wildboottest`, which calls the `wildboottest` package. Valid with few treated clusters where
    the clustered t-test over-rejects (MacKinnon and Webb 2017)."""
    d = panel[[unit, time, outcome, *exposures]].dropna()
    d = d.assign(cluster_code=pd.factorize(d[unit], sort=True)[0])  # the package's numba code needs numeric cluster ids
    fit = twfe_fit(d, outcome, exposures, unit, time, cluster="cluster_code")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit.wildboottest(reps=reps, param=term, cluster="cluster_code", seed=seed)
    return float(res["Pr(>|t|)"])


def randomization_p(panel: pd.DataFrame, outcome: str, exposures: list[str], term: str, paths: pd.DataFrame,
                    unit: str = "msa_id", time: str = "year", reps: int = 999, seed: int = 0) -> dict:
    """Randomization inference for `term` in `twfe`: each draw gives every unit another unit's whole exposure path
    of `term` (a permutation of adoption paths across units, other exposures kept), refits, and compares the
    clustered t-statistic with the observed one (randomization-t, two-sided; p = (1 + #|t*| >= |t|) / (1 + reps)).

    pyfixest's `ritest` draws each cluster's treatment value independently from the values observed, so it cannot
    keep a unit's adoption path over time (an MSA-constant draw is absorbed by the MSA effects); hence this
    implementation. Each draw is a Frisch-Waugh regression on unit-demeaned data (unit effects swept out exactly,
    years as dummies), the same estimate and CR1 standard error as `twfe_fit` (tested against it).
    `paths` holds unit, time and `term` for every unit and year of the panel. Returns t, p_value, reps.
    """
    d = panel[[unit, time, outcome, *exposures]].dropna()
    d = d[d.groupby(unit)[time].transform("size") > 1].reset_index(drop=True)  # singletons dropped, as in `twfe_fit`
    units, u = np.unique(d[unit].to_numpy(), return_inverse=True)
    years, t_index = np.unique(d[time].to_numpy(), return_inverse=True)
    path = paths.pivot_table(index=unit, columns=time, values=term, aggfunc="first").reindex(index=units, columns=years)
    if path.isna().to_numpy().any():
        raise MetroModelError(f"randomization test of {term}: exposure paths miss some MSA-years of the panel.")
    path = path.to_numpy(float)
    count = np.bincount(u).astype(float)

    def demean(x):
        return x - (np.bincount(u, weights=x) / count)[u]

    others = [x for x in exposures if x != term]
    z = np.column_stack([d[others].to_numpy(float)] + [(t_index == k).astype(float) for k in range(1, len(years))])
    q, _ = np.linalg.qr(np.column_stack([demean(c) for c in z.T]))
    y = demean(d[outcome].to_numpy(float))
    y = y - q @ (q.T @ y)
    n, k, g = len(d), len(exposures) + len(years), len(units)  # k as pyfixest counts it (period dummies + 1)
    factor = g / (g - 1) * (n - 1) / (n - k)

    def t_stat(x):
        x = demean(x)
        x = x - q @ (q.T @ x)
        sxx = x @ x
        beta = (x @ y) / sxx
        score = np.bincount(u, weights=x * (y - beta * x), minlength=g)
        return beta / np.sqrt(factor * (score @ score) / sxx ** 2)

    observed = t_stat(path[u, t_index])
    rng = np.random.default_rng(seed)
    draws = np.array([t_stat(path[rng.permutation(g)[u], t_index]) for _ in range(reps)])
    return {"t": float(observed), "p_value": float((1 + np.sum(np.abs(draws) >= abs(observed))) / (1 + reps)),
            "reps": int(reps)}


def few_cluster_inference(panel: pd.DataFrame, outcome: str, exposures: list[str], terms: list[str], paths: pd.DataFrame,
                          bootstrap_reps: int = 9999, permutations: int = 1999, seed: int = 0) -> pd.DataFrame:
    """`twfe` of `outcome` on `exposures` with, for each of `terms`, the clustered p-value beside the wild cluster
    bootstrap p-value and the randomization p-value (permuted adoption paths): the clustered t-test can over-reject
    when few clusters are treated (34 MSAs for the 287(g) jail model)."""
    rows = twfe(panel, outcome, exposures).set_index("term").loc[list(terms)].reset_index()
    rows["wild_bootstrap_p"] = [wild_bootstrap_p(panel, outcome, exposures, x, reps=bootstrap_reps, seed=seed)
                                for x in terms]
    rows["randomization_p"] = [randomization_p(panel, outcome, exposures, x, paths, reps=permutations, seed=seed)["p_value"]
                               for x in terms]
    rows["bootstrap_reps"], rows["permutations"] = bootstrap_reps, permutations
    return rows.assign(outcome=outcome)


def callaway_santanna_row(result: dict) -> dict:
    """A `callaway_santanna` result as one row of an estimates table: the overall effect (estimate, se, ci_low,
    ci_high) with its p-value, the balanced panel's MSA-years (n_obs) and MSAs (n_units), the treated MSAs,
    the pre-trend test's p-value (pretest_p) and the minimum detectable effect (mde)."""
    first, last = result["years"]
    overall = result["overall"]
    return {**overall, "p_value": normal_p_value(overall["estimate"], overall["se"]),
            "n_obs": result.get("n_obs", result["n_units"] * (last - first + 1)), "n_units": result["n_units"],
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
