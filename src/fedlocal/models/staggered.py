"""Staggered adoption: two-way fixed effects versus a heterogeneity-robust estimator.

Secure Communities reached every county by January 2013, so late in the window the only controls are
counties that adopted earlier. A two-way fixed-effects regression then uses already-treated counties as
controls, and if effects grow or differ by cohort its estimate can be biased, even of the wrong sign
(Goodman-Bacon 2021). Callaway and Sant'Anna (2021) compare each adoption cohort only with counties not
yet treated, period by period, and average those clean comparisons. Both run here on the same county x
half-year cells; the interview-level linear probability model with county and period effects is the
familiar TWFE benchmark for all four policies at once. The two-way fixed-effects regressions are computed
here (exact within transformation, checked against pyfixest's feols in the tests); Callaway-Sant'Anna comes
from the `differences` package.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from fedlocal.models.eventtime import _month_index, start_months
from fedlocal.models.inference import cluster_codes, cluster_sandwich
from fedlocal.models.logit import independent_columns
from fedlocal.vocab import POLICIES

Z = stats.norm.ppf(0.975)
MIN_COUNTIES = 20  # counties observed in every half-year needed for the cell-level comparison


def half_year(ym) -> np.ndarray:
    """Half-year period index of a YYYY-MM month (0 = first half of 2005)."""
    m = _month_index(ym)
    return m // 6 - 2005 * 2


def _first_index(codes: np.ndarray) -> np.ndarray:
    """Row index of each code's first occurrence."""
    first = np.full(codes.max() + 1, len(codes))
    np.minimum.at(first, codes, np.arange(len(codes)))
    return first


def twfe_ols(y: np.ndarray, X: np.ndarray, names: list[str], unit: np.ndarray, period: np.ndarray,
             clusters: np.ndarray, weights: np.ndarray | None = None) -> tuple[pd.Series, pd.Series]:
    """Linear regression with unit and period fixed effects; CR1 standard errors. Returns (coef, se).

    Units are swept out exactly (within transformation by unit, one pass of bincount) and the few period
    effects enter as dummies, so there is no iterative demeaning: the result is deterministic to the last
    digit, which pyfixest's iterative demeaning is not across processes. The tests check it against
    pyfixest's feols. As in fixest, unit effects nested in the clusters (county effects, county clusters)
    do not count in the small-sample factor; otherwise (person clusters) they do.
    """
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    periods = np.unique(period)
    Z = np.column_stack([np.asarray(X, dtype=float)] + [(period == p).astype(float) for p in periods[1:]])
    ucode, n_units = cluster_codes(unit)
    wsum = np.bincount(ucode, weights=w, minlength=n_units)

    def within(v):
        return v - (np.bincount(ucode, weights=w * v, minlength=n_units) / wsum)[ucode]

    Zt = np.column_stack([within(Z[:, j]) for j in range(Z.shape[1])])
    yt = within(np.asarray(y, dtype=float))
    keep = independent_columns(Zt.T @ (Zt * w[:, None]))
    Zt = Zt[:, keep]
    bread = np.linalg.inv(Zt.T @ (Zt * w[:, None]))
    beta = bread @ (Zt.T @ (w * yt))
    u = yt - Zt @ beta
    codes, g = cluster_codes(clusters)
    sums = np.column_stack([np.bincount(codes, weights=Zt[:, j] * w * u, minlength=g) for j in range(Zt.shape[1])])
    nested = bool(np.all(codes == codes[_first_index(ucode)[ucode]]))  # each unit inside one cluster
    absorbed = 0 if nested else n_units - 1
    n = len(y)
    vc = cluster_sandwich(bread, sums, g, n) * (n - Zt.shape[1]) / (n - Zt.shape[1] - absorbed)
    se = np.sqrt(np.diag(vc))
    all_names = list(names) + [f"period={p}" for p in periods[1:]]
    kept = [all_names[i] for i in keep]
    coef = pd.Series(beta, index=kept).reindex(list(names))
    return coef, pd.Series(se, index=kept).reindex(list(names))


def _row(est, se, **labels) -> dict:
    return {**labels, "estimate": float(est), "se": float(se), "ci_low": float(est - Z * se),
            "ci_high": float(est + Z * se), "p_value": float(2 * stats.norm.sf(abs(est / se)))}


def lpm_twfe(frame: pd.DataFrame, policies=POLICIES, group: str | None = None, cluster: str = "county",
             survey_weights: bool = False) -> pd.DataFrame:
    """Interview-level linear probability model, county and half-year fixed effects; effects in percentage points."""
    df = frame if group is None else frame.loc[frame["race_eth"] == group]
    data = pd.DataFrame({"y": df["violent"].to_numpy(float) * 100, "county": df["county_fips"].astype(str).to_numpy(),
                         "period": half_year(df["interview_month"]), "person": df["person_id"].to_numpy(),
                         "w": df["weight"].to_numpy(float)})
    for p in policies:
        data[p] = df[p].to_numpy(float)
    coef, se = twfe_ols(data["y"].to_numpy(), data[list(policies)].to_numpy(), list(policies), data["county"].to_numpy(),
                        data["period"].to_numpy(), data[cluster].to_numpy(), data["w"].to_numpy() if survey_weights else None)
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


def staggered_comparison(frame: pd.DataFrame, panel: pd.DataFrame, policy: str = "sc", group: str | None = None
                         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """TWFE and Callaway-Sant'Anna (not-yet-treated controls) on the same cells; effects in percentage points.

    Returns the two overall estimates and the Callaway-Sant'Anna event-time estimates (half-year steps).
    """
    from differences import ATTgt

    cells = county_cells(frame, panel, policy, group)
    cohorts = cells.drop_duplicates("county")["cohort"]
    labels = {"group": group or "all", "policy": policy, "scale": "percentage points",
              "counties": int(cells["county"].nunique()), "interviews": int(cells["n"].sum())}
    if cells["county"].nunique() < MIN_COUNTIES or cohorts.nunique() < 2:
        # too few counties observed in every half-year (small runs): nothing credible to estimate
        nan = dict(estimate=float("nan"), se=float("nan"), ci_low=float("nan"), ci_high=float("nan"), p_value=float("nan"))
        rows = [{**labels, "model": m, **nan} for m in ("cells_twfe", "callaway_santanna")]
        return pd.DataFrame(rows), pd.DataFrame(columns=["event_time", "estimate", "se", "ci_low", "ci_high", "group", "policy"])
    coef, se = twfe_ols(cells["rate"].to_numpy(), cells[["treated"]].to_numpy(), ["treated"], cells["county"].to_numpy(),
                        cells["period"].to_numpy(), cells["county"].to_numpy(), cells["n"].to_numpy(float))
    rows = [_row(coef["treated"], se["treated"], model="cells_twfe", **labels)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no never-treated": last cohort becomes the comparison, as intended
        att = ATTgt(data=cells.set_index(["county", "period"]), cohort_column="cohort")
        att.fit(formula="rate", control_group="not_yet_treated", weights_column="n", progress_bar=False)
        # panel influence-function standard errors: already clustered by county (the unit)
        simple = att.aggregate("simple")
        event = att.aggregate("event")
    rows.append(_row(simple.iloc[0, 0], simple.iloc[0, 1], model="callaway_santanna", **labels))
    ev = pd.DataFrame({"event_time": event.index.to_numpy(int), "estimate": event.iloc[:, 0].to_numpy(float),
                       "se": event.iloc[:, 1].to_numpy(float)})
    ev["ci_low"], ev["ci_high"] = ev["estimate"] - Z * ev["se"], ev["estimate"] + Z * ev["se"]
    ev["group"], ev["policy"] = group or "all", policy
    return pd.DataFrame(rows), ev
