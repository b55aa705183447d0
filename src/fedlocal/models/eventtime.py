"""Event time: victimization risk in 6-month steps before and after a county's policy start.

Each interview gets its reference period's position relative to the first month the policy was active
in the county: step 0 is the first reference period that includes the start, -1 the last one wholly
before it (the reference category), and the end steps bin everything further out. The coefficients
come from the person fixed-effects (conditional) logit, so each is a within-person contrast with step
-1. Leads near zero are consistent with parallel pre-trends; they cannot prove them, and they say
nothing about shocks that coincide with the start itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fedlocal import FedlocalError
from fedlocal.models.clogit import fit_conditional_logit
from fedlocal.models.design import within_design
from fedlocal.models.estimate import clogit_exposure, effect_row, informative_subset
from fedlocal.vocab import POLICIES

MIN_PERSONS = 100  # below this many informative persons the event-time terms are not estimated


def start_months(panel: pd.DataFrame, policy: str) -> pd.Series:
    """First month (YYYY-MM) each county's policy was active, from the county x month panel (01)."""
    if policy not in panel.columns:
        raise FedlocalError(f"data/policy-panel.parquet lacks column {policy!r}; rerun stage 'policies' (notebook 01).")
    on = panel.loc[panel[policy] > 0, ["fips", "month"]]
    return on.groupby("fips")["month"].min()


def _month_index(ym) -> np.ndarray:
    """Months since year 0 of 'YYYY-MM' labels; each distinct label is parsed once (a million rows share ~200)."""
    codes, labels = pd.factorize(ym if isinstance(ym, pd.Series) else np.asarray(ym))
    s = pd.Series(labels).astype(str)
    index = s.str.slice(0, 4).astype(int).to_numpy() * 12 + s.str.slice(5, 7).astype(int).to_numpy() - 1
    return index[codes]


def event_steps(frame: pd.DataFrame, starts: pd.Series) -> np.ndarray:
    """6-month step of each interview relative to its county's start (NaN where the county never starts)."""
    codes, counties = pd.factorize(frame["county_fips"].astype(str))
    start = pd.Series(counties).map(starts)  # per county, not per interview
    never = start.isna().to_numpy()
    start_index = np.where(never, 0, _month_index(start.fillna("2000-01")))
    d = _month_index(frame["interview_month"]) - start_index[codes]
    steps = np.floor((d - 1) / 6)
    return np.where(never[codes], np.nan, steps)


def event_dummies(steps: np.ndarray, window: int) -> dict[str, np.ndarray]:
    """Indicators for steps -window..window except -1 (reference); the end steps bin everything beyond."""
    binned = np.clip(steps, -window, window)
    return {f"e{k:+d}": (binned == k).astype(float) for k in range(-window, window + 1) if k != -1}


def event_time(frame: pd.DataFrame, panel: pd.DataFrame, policy: str, window: int, cluster: str = "county",
               group: str | None = None, sample: str = "outcome_varies") -> tuple[pd.DataFrame, dict]:
    """Event-time odds ratios for one policy and the joint test that all leads (steps < -1) are zero.

    By default every person whose outcome varies is kept: persons in counties that never start (or whose
    interviews all fall on one side of the start) identify the year effects the event terms are net of.
    """
    steps = event_steps(frame, start_months(panel, policy))
    dummies = event_dummies(steps, window)
    # the indicators vary within a person exactly when the binned step does (no start and step -1 both
    # mean all indicators zero): one exposure column finds the informative persons before any design
    binned = np.clip(steps, -window, window)
    info, used = informative_subset(frame, clogit_exposure(sample, np.where(np.isnan(binned), -1.0, binned)), group)
    summary = {"policy": policy, "group": group or "all", "sample": sample, "persons": info.persons_kept,
               "interviews": info.interviews_kept, "counties_started": int(start_months(panel, policy).size)}
    if info.persons_kept < MIN_PERSONS:
        summary.update(estimated=False, lead_chi2=float("nan"), lead_df=0, lead_p=float("nan"))
        return pd.DataFrame(), summary
    d = within_design(frame, group=group, extra=dummies, rows=used)
    fit = fit_conditional_logit(d.X, d.y, d.person, d.names, d.clusters(cluster))
    rows = []
    for name in dummies:
        est, se = fit.coef(name)
        rows.append(effect_row(est, se, policy=policy, group=group or "all", event_time=int(name[1:])))
    rows.append(effect_row(0.0, 0.0, policy=policy, group=group or "all", event_time=-1))
    out = pd.DataFrame(rows).sort_values("event_time", ignore_index=True)
    out.loc[out["event_time"] == -1, ["se", "p_value"]] = np.nan
    leads = [n for n in dummies if int(n[1:]) < -1]
    chi2, df, p = fit.wald(leads)
    summary.update(estimated=True, lead_chi2=chi2, lead_df=df, lead_p=p)
    return out, summary


def event_time_by_policy(frame: pd.DataFrame, panel: pd.DataFrame, window: int, cluster: str = "county",
                         policies=POLICIES, sample: str = "outcome_varies") -> tuple[pd.DataFrame, pd.DataFrame]:
    """`event_time` for each policy: all estimated coefficients in one frame, and one summary row per policy."""
    results = [event_time(frame, panel, p, window, cluster=cluster, sample=sample) for p in policies]
    estimated = [coefs for coefs, _ in results if len(coefs)]
    coefs = pd.concat(estimated, ignore_index=True) if estimated else pd.DataFrame()
    return coefs, pd.DataFrame([summary for _, summary in results])
