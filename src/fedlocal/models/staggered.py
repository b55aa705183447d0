"""Staggered adoption: two-way fixed effects versus a heterogeneity-robust estimator.

Secure Communities reached every county by January 2013, so late in the window the only controls are
counties that adopted earlier. A two-way fixed-effects regression then uses already-treated counties as
controls, and if effects grow or differ by cohort its estimate can be biased, even of the wrong sign
(Goodman-Bacon 2021). Callaway and Sant'Anna (2021) compare each adoption cohort only with counties not
yet treated, period by period, and average those clean comparisons. Both run here on the same county x
half-year cells; the interview-level linear probability model with county and period effects is the
familiar TWFE benchmark for all four policies at once. The two-way fixed-effects regressions are
pyfixest's estimator on arrays (`twfe_effects`, checked against pyfixest); Callaway-Sant'Anna comes from the
`differences` package, Sun-Abraham from pyfixest's saturated event study.

Secure Communities has no never-treated counties. Every effect is therefore identified from differences
in *timing* alone: Callaway-Sant'Anna compares a cohort with counties that adopt later (not yet treated)
and has no comparison once the last cohort adopts, so the last cohort gets no effect of its own and event
times far from adoption rest on the earliest cohorts only; Sun-Abraham uses the last-adopting cohort as
its control and drops the periods from its adoption on.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from fedlocal.models.eventtime import _month_index, start_months
from fedlocal.models.inference import cluster_codes, cluster_sandwich, invert_information
from fedlocal.models.logit import _gram, independent_columns
from fedlocal.models.metro import normal_p_value
from fedlocal.vocab import POLICIES

Z = stats.norm.ppf(0.975)
MIN_COUNTIES = 20  # counties observed in every half-year needed for the cell-level comparison
CS_WEIGHTS = ("average", "none")  # Callaway-Sant'Anna weightings reported side by side
# An event-time effect (percentage points) with a standard error below this comes from cells the model fits exactly
# (a tiny sample's all-zero rates): its value is floating-point noise (about 1e-13, SE about 1e-7) whose digits
# change with the summation order, e.g. with PYTHONHASHSEED inside pyfixest. It carries no information: not estimable.
DEGENERATE_SE = 1e-6


def half_year(ym) -> np.ndarray:
    """Half-year period index of a YYYY-MM month (0 = first half of 2005)."""
    m = _month_index(ym)
    return m // 6 - 2005 * 2


def twfe_effects(data: pd.DataFrame, outcome: str, regressors: list[str], unit: str, period: str, cluster: str,
                weights: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Coefficients and CR1 standard errors (NaN for a regressor dropped as collinear) of a regression with
    `unit` and `period` fixed effects.

    The unit effects are swept out exactly by (weighted) unit means, the period effects enter as dummies (the
    first period the reference): the estimator pyfixest's `feols(y ~ x + C(period) | unit)` computes, on
    arrays. pyfixest itself took 6 s and 1.3 GB above the frame for one interview-level fit at the paper's
    million rows (its formula's model matrix and the copies around it), this 0.3 s and one matrix of the
    regressors (benchmarks/stages.py); the tests check both against pyfixest. The small-sample factor is
    G/(G-1) * (N-1)/(N-K) with K the regressors and period dummies, plus the unit effects but one when units
    are not nested in the clusters (person clusters): the definition the module has always used. (fixest
    counts one parameter more in both cases.) Every row is kept (no singleton removal).
    """
    n = len(data)
    y = data[outcome].to_numpy(dtype=np.float64)
    w = np.ones(n) if weights is None else data[weights].to_numpy(dtype=np.float64)
    units = pd.factorize(data[unit])[0]
    periods, period_levels = pd.factorize(data[period], sort=True)
    k = len(regressors) + len(period_levels) - 1
    unit_weight = np.bincount(units, weights=w)

    def within(v: np.ndarray) -> np.ndarray:
        return v - (np.bincount(units, weights=w * v) / unit_weight)[units]

    X = np.empty((n, k), order="F")
    for j, name in enumerate(regressors):
        X[:, j] = within(data[name].to_numpy(dtype=np.float64))
    for j in range(1, len(period_levels)):
        X[:, len(regressors) + j - 1] = within((periods == j).astype(np.float64))
    y = within(y)
    xtwx = _gram(X, w)
    keep = independent_columns(xtwx)
    bread = invert_information(xtwx[np.ix_(keep, keep)])
    beta = np.zeros(k)
    beta[keep] = bread @ (X[:, keep].T @ (w * y))
    resid = w * (y - X @ beta)
    clusters, n_clusters = cluster_codes(data[cluster])
    sums = np.column_stack([np.bincount(clusters, weights=X[:, j] * resid, minlength=n_clusters) for j in keep])
    vcov = cluster_sandwich(bread, sums, n_clusters, n)
    if (data.groupby(unit)[cluster].nunique() > 1).any():  # unit effects not nested in the clusters
        vcov = vcov * (n - len(keep)) / (n - len(keep) - (unit_weight.size - 1))
    coef = pd.Series(np.nan, index=regressors)
    se = pd.Series(np.nan, index=regressors)
    for i, j in enumerate(keep):
        if j < len(regressors):
            coef.iloc[j], se.iloc[j] = beta[j], np.sqrt(vcov[i, i])
    return coef, se


def _row(est, se, **labels) -> dict:
    return {**labels, "estimate": float(est), "se": float(se), "ci_low": float(est - Z * se),
            "ci_high": float(est + Z * se), "p_value": normal_p_value(est, se)}


def lpm_twfe(frame: pd.DataFrame, policies=POLICIES, group: str | None = None, cluster: str = "county",
             survey_weights: bool = False) -> pd.DataFrame:
    """Interview-level linear probability model, county and half-year fixed effects; effects in percentage points."""
    df = frame if group is None else frame.loc[frame["race_eth"] == group]
    data = pd.DataFrame({"y": df["violent"].to_numpy(float) * 100, "county": df["county_fips"].astype(str).to_numpy(),
                         "period": half_year(df["interview_month"]), "person": df["person_id"].to_numpy(),
                         "w": df["weight"].to_numpy(float)})
    for p in policies:
        data[p] = df[p].to_numpy(float)
    coef, se = twfe_effects(data, "y", list(policies), "county", "period", cluster, "w" if survey_weights else None)
    rows = []
    for p in policies:
        if np.isfinite(coef[p]):
            rows.append(_row(coef[p], se[p], model="lpm_twfe", group=group or "all",
                             policy=p, scale="percentage points", interviews=len(data),
                             counties=int(data["county"].nunique())))
    return pd.DataFrame(rows)


def county_cells(frame: pd.DataFrame, panel: pd.DataFrame, policy: str = "sc", group: str | None = None) -> pd.DataFrame:
    """County x half-year cells (victimization rate in % and interviews), cohort = first exposed half-year.

    An interview is first exposed the month after the start (its reference period then includes the start),
    so the cohort is the half-year of start + 1 month. Only counties with interviews in every half-year are
    kept: the comparison needs the same counties throughout.
    """
    df = frame if group is None else frame.loc[frame["race_eth"] == group]
    cells = (pd.DataFrame({"county": df["county_fips"].astype(str).to_numpy(), "period": half_year(df["interview_month"]),
                           "y": df["violent"].to_numpy(float) * 100})
             .groupby(["county", "period"], as_index=False).agg(rate=("y", "mean"), n=("y", "size")))
    periods = cells["period"].nunique()
    full = cells.groupby("county")["period"].transform("nunique") == periods
    cells = cells.loc[full].copy()
    starts = start_months(panel, policy)
    first = pd.Series(_month_index(starts.to_numpy()) + 1, index=starts.index) // 6 - 2005 * 2
    cells["cohort"] = cells["county"].map(first).astype(float)
    cells["treated"] = (cells["period"] >= cells["cohort"]).astype(float)
    return cells.reset_index(drop=True)


def callaway_santanna_cells(cells: pd.DataFrame, weights: str = "average") -> tuple[dict, pd.DataFrame]:
    """Callaway-Sant'Anna on county cells with not-yet-treated controls: the overall ATT (estimate, se) and the
    event-time table (event_time, estimate, se) in the cells' units.

    `weights="average"` weights each county by its mean interviews per half-year, the same number in every
    period; `"none"` weights counties equally. Weights must not vary over time: the `differences` package
    then agrees with `csdid`, while with each period's own cell count as weight the reference packages
    disagree (each treats the weight of a different period as the unit's) and the sign of the all-persons
    estimate flipped with that choice. The average, rather than the first half-year's count, is used because
    NCVS interviews per county move with the rotation design and sample cuts, not with the policies, and one
    half-year's count (often a handful of interviews) is a noisy measure of a county's share of the sample.
    """
    from differences import ATTgt

    if weights not in CS_WEIGHTS:
        raise ValueError(f"weights={weights!r}: use one of {CS_WEIGHTS}.")
    data = cells.assign(w=cells.groupby("county")["n"].transform("mean")).set_index(["county", "period"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no never-treated": last cohort becomes the comparison, as intended
        att = ATTgt(data=data, cohort_column="cohort")
        att.fit(formula="rate", control_group="not_yet_treated", weights_column="w" if weights == "average" else None,
                progress_bar=False)
        # panel influence-function standard errors: already clustered by county (the unit)
        simple = att.aggregate("simple")
        event = att.aggregate("event")
    ev = pd.DataFrame({"event_time": event.index.to_numpy(int), "estimate": event.iloc[:, 0].to_numpy(float),
                       "se": event.iloc[:, 1].to_numpy(float)})
    return {"estimate": float(simple.iloc[0, 0]), "se": float(simple.iloc[0, 1])}, ev


def sun_abraham_cells(cells: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    """Sun-Abraham interaction-weighted event study on county cells (pyfixest's saturated event study: cohort x
    event-time interactions, county and period effects, errors clustered by county, counties unweighted).

    Its control is the never-treated counties if there are any, else the last cohort to adopt, whose periods
    from its adoption on are dropped (Sun and Abraham 2021, section 4.1). Event time -1 is the reference.
    Returns the overall ATT - the event-time >= 0 interactions averaged with weights proportional to their
    treated cells, the "simple" aggregation of Callaway-Sant'Anna - and the event-time table (event_time,
    estimate, se), each event time averaged over cohorts by their shares (pyfixest's `aggregate`).
    """
    import pyfixest as pf

    d = cells.loc[~(cells["cohort"] <= cells["period"].min())].copy()  # treated from the first period: no pre-period
    if d["cohort"].isna().any():
        d["g"] = d["cohort"].fillna(-1) + 1  # never treated -> pyfixest's 0
    else:
        last = d["cohort"].max()
        d = d.loc[d["period"] < last]
        d["g"] = np.where(d["cohort"] == last, -1, d["cohort"]) + 1
    d["g"] = d["g"].astype(int)
    d["t"] = (d["period"] + 1).astype(int)  # 1-based: pyfixest reads cohort 0 as never treated
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyfixest marks the saturated event study as beta
        fit = pf.event_study(d[["county", "t", "g", "rate"]], yname="rate", idname="county", tname="t", gname="g",
                             cluster="county", estimator="saturated")
        by_event = fit.aggregate()
    names = pd.Series(fit._coefnames).str.extract(r"::(?P<e>-?[\d.]+):first_treated_period::(?P<g>\d+)$").astype(float)
    treated = fit._data.loc[fit._data["is_treated"].astype(bool)]
    count = treated.groupby(["first_treated_period", "rel_time"]).size()
    r = np.array([count.get((g, e), 0) if e >= 0 else 0 for g, e in zip(names["g"], names["e"])], float)
    r /= r.sum()
    beta, vcov = np.asarray(fit._beta_hat, float), np.asarray(fit._vcov, float)
    ev = pd.DataFrame({"event_time": by_event.index.to_numpy(float).astype(int),
                       "estimate": by_event["Estimate"].to_numpy(float), "se": by_event["Std. Error"].to_numpy(float)})
    return {"estimate": float(r @ beta), "se": float(np.sqrt(r @ vcov @ r))}, ev


def not_estimable_where_degenerate(ev: pd.DataFrame) -> pd.DataFrame:
    """Event-time rows whose standard error is below DEGENERATE_SE set to missing (estimate and SE)."""
    degenerate = ev["se"].to_numpy(float) < DEGENERATE_SE
    return ev.assign(estimate=ev["estimate"].mask(degenerate), se=ev["se"].mask(degenerate))


def staggered_comparison(frame: pd.DataFrame, panel: pd.DataFrame, policy: str = "sc", group: str | None = None
                         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """TWFE, Callaway-Sant'Anna (not-yet-treated controls; county weights the average interviews per half-year,
    and unweighted) and Sun-Abraham (last-cohort controls) on the same cells; effects in percentage points.

    Returns the overall estimates (one row per model) and the event-time estimates of the three heterogeneity-
    robust estimators (half-year steps; column `model`).
    """
    cells = county_cells(frame, panel, policy, group)
    cohorts = cells.drop_duplicates("county")["cohort"]
    labels = {"group": group or "all", "policy": policy, "scale": "percentage points",
              "counties": int(cells["county"].nunique()), "interviews": int(cells["n"].sum())}
    robust = {"callaway_santanna": lambda: callaway_santanna_cells(cells, "average"),
              "callaway_santanna_unweighted": lambda: callaway_santanna_cells(cells, "none"),
              "sun_abraham": lambda: sun_abraham_cells(cells)}
    if cells["county"].nunique() < MIN_COUNTIES or cohorts.nunique() < 2:
        # too few counties observed in every half-year (small runs): nothing credible to estimate
        nan = dict(estimate=float("nan"), se=float("nan"), ci_low=float("nan"), ci_high=float("nan"), p_value=float("nan"))
        rows = [{**labels, "model": m, **nan} for m in ("cells_twfe", *robust)]
        return pd.DataFrame(rows), pd.DataFrame(columns=["model", "event_time", "estimate", "se", "ci_low", "ci_high",
                                                         "group", "policy"])
    coef, se = twfe_effects(cells, "rate", ["treated"], "county", "period", "county", "n")
    rows = [_row(coef["treated"], se["treated"], model="cells_twfe", **labels)]
    events = []
    for model, fit in robust.items():
        overall, ev = fit()
        rows.append(_row(overall["estimate"], overall["se"], model=model, **labels))
        events.append(ev.assign(model=model))
    ev = not_estimable_where_degenerate(pd.concat(events, ignore_index=True))
    ev["ci_low"], ev["ci_high"] = ev["estimate"] - Z * ev["se"], ev["estimate"] + Z * ev["se"]
    ev["group"], ev["policy"] = group or "all", policy
    return pd.DataFrame(rows), ev[["model", "event_time", "estimate", "se", "ci_low", "ci_high", "group", "policy"]]
