"""Design matrices for the victimization models, built from the NCVS interview file and county covariates.

The between-within ("hybrid", Allison 2009; Mundlak's correlated random effects) decomposition: every
regressor that changes between a person's interviews -- the policies, the time-varying individual
covariates, time in sample, the county covariates and the year indicators -- enters as its person mean
x̄_i (the between part) and the deviation x_it - x̄_i (the within part). Because *every* time-varying
regressor is split, the within coefficients of the linear analogue equal the person fixed-effects
estimates exactly (tests/models/test_design.py shows it against pyfixest); a regressor left unsplit would
let its between variation leak into the policy coefficients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fedlocal import FedlocalError
from fedlocal.vocab import CLUSTERS, POLICIES, RACE_ETH

# individual covariates that change between a person's interviews; interview_number is time in sample (NCVS
# reporting falls with it)
TIME_VARYING = ("age", "employed", "income_bracket", "homeowner", "log_years_at_address", "interview_number")
COUNTY_NUMERIC = ("pct_latino", "pct_black", "pct_foreign_born", "poverty_rate", "unemployment_rate",
                  "log_median_hh_income", "log_population", "pct_same_house", "pct_owner")
COUNTY_FLAGS = ("metro", "border", "new_destination")
INTERVIEW_COLUMNS = ("person_id", "county_fips", "interview_month", "year", "interview_number", "violent", "weight",
                     "age", "sex",
                     "race_eth", "marital", "education", "employed", "income_bracket", "homeowner",
                     "years_at_address") + POLICIES
COVARIATE_COLUMNS = ("fips", "year", "population", "pct_latino", "pct_black", "pct_foreign_born", "poverty_rate",
                     "median_hh_income", "unemployment_rate", "pct_same_house", "pct_owner", "metro", "region",
                     "border", "new_destination")


@dataclass
class Design:
    X: np.ndarray
    names: list[str]
    y: np.ndarray
    person: np.ndarray
    county: np.ndarray
    weight: np.ndarray

    def clusters(self, cluster: str) -> np.ndarray:
        if cluster not in CLUSTERS:
            raise FedlocalError(f"parameter 'cluster' = {cluster!r}: expected one of {', '.join(CLUSTERS)}.")
        return self.county if cluster == "county" else self.person

    @property
    def counts(self) -> dict[str, int]:
        # pd.unique hashes (linear); np.unique sorted a million strings on every call
        return {"persons": int(len(pd.unique(self.person))), "interviews": int(len(self.y)),
                "counties": int(len(pd.unique(self.county)))}


def prepare(interviews: pd.DataFrame, covariates: pd.DataFrame) -> pd.DataFrame:
    """One analysis frame: interviews joined to their county's covariates for the interview year.

    Interviews whose county-year has no covariates, or with a missing outcome, exposure or individual covariate,
    are dropped (and counted in `frame.attrs['dropped']`).
    """
    missing = [c for c in INTERVIEW_COLUMNS if c not in interviews.columns]
    if missing:
        raise FedlocalError(f"data/ncvs-interviews.parquet lacks columns {missing}; rerun stage 'ncvs' (notebook 03).")
    missing = [c for c in COVARIATE_COLUMNS if c not in covariates.columns]
    if missing:
        raise FedlocalError(f"data/county-covariates.parquet lacks columns {missing}; rerun stage 'counties' (notebook 02).")
    df = interviews.loc[:, list(INTERVIEW_COLUMNS)].copy()
    df["county_fips"] = df["county_fips"].astype(str)
    df["year"] = df["year"].astype(int)
    cov = covariates.loc[:, list(COVARIATE_COLUMNS)].copy()
    cov["fips"] = cov["fips"].astype(str)
    cov["year"] = cov["year"].astype(int)
    cov["log_median_hh_income"] = np.log(cov["median_hh_income"].astype(float))
    cov["log_population"] = np.log(cov["population"].astype(float))
    cov = cov.drop(columns=["median_hh_income", "population"]).rename(columns={"fips": "county_fips"})
    out = df.merge(cov, on=["county_fips", "year"], how="left", validate="many_to_one")
    needed = list(COUNTY_NUMERIC) + list(COUNTY_FLAGS) + ["region", "violent", "age", "employed", "income_bracket",
                                                         "homeowner", "years_at_address", "interview_number"] + list(POLICIES)
    bad = out[needed].isna().any(axis=1).to_numpy()
    out = out.loc[~bad].reset_index(drop=True)
    out["log_years_at_address"] = np.log1p(out["years_at_address"].astype(float).clip(lower=0))
    out.attrs["dropped"] = int(bad.sum())
    return out


def person_mean(codes: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Each row's person mean of x (codes 0..P-1)."""
    cnt = np.bincount(codes)
    return (np.bincount(codes, weights=x) / cnt)[codes]


def _codes(values) -> np.ndarray:
    return pd.factorize(np.asarray(values))[0]


def _dummies(values: pd.Series, levels: list[str], prefix: str) -> dict[str, np.ndarray]:
    # compared through factor codes: a million strings converted to Python objects cost seconds per design
    codes, uniques = pd.factorize(values.to_numpy() if values.dtype.kind in "iub" else values)
    where = {str(u): i for i, u in enumerate(uniques)}
    return {f"{prefix}={lv}": (codes == where.get(lv, -2)).astype(float) for lv in levels}


def _strings(values: pd.Series) -> np.ndarray:
    """The column as an object array of str (through its distinct values, as for _dummies)."""
    codes, uniques = pd.factorize(values)
    return np.asarray([str(u) for u in uniques], dtype=object)[codes]


def hybrid_design(frame: pd.DataFrame, policies=POLICIES, group: str | None = None, pooled: bool = False) -> Design:
    """Between-within logit design: every time-varying regressor as person mean + deviation.

    Split: policies, time-varying individual covariates, time in sample, county covariates, region, marital
    status, education and year indicators. A deviation that is zero for every person (e.g. region when
    nobody moves) is left out, its mean kept. Sex and race/ethnicity are constant by construction.
    `group` restricts to one race/ethnicity (its dummies then drop out); `pooled` interacts every policy
    term with the four race/ethnicity groups so that group differences can be tested in one model.
    Columns come in a fixed order: the policy within terms first (never dropped for collinearity first).
    """
    df = frame if group is None else frame.loc[frame["race_eth"] == group]
    if len(df) == 0:
        raise FedlocalError(f"no interviews for group {group!r}; race_eth must be one of {RACE_ETH}.")
    codes = _codes(df["person_id"])
    cols: dict[str, np.ndarray] = {}
    race = _strings(df["race_eth"]) if pooled else None
    pol = {p: df[p].to_numpy(dtype=float) for p in policies}
    means = {p: person_mean(codes, pol[p]) for p in policies}
    if pooled:
        for p in policies:
            for g in RACE_ETH:
                cols[f"{p}_within:{g}"] = (pol[p] - means[p]) * (race == g)
        for p in policies:
            for g in RACE_ETH:
                cols[f"{p}_between:{g}"] = means[p] * (race == g)
    else:
        for p in policies:
            cols[f"{p}_within"] = pol[p] - means[p]
        for p in policies:
            cols[f"{p}_between"] = means[p]
    cols["const"] = np.ones(len(df))
    varying: dict[str, np.ndarray] = {v: df[v].to_numpy(dtype=float) for v in TIME_VARYING}
    for v in COUNTY_NUMERIC:
        x = df[v].to_numpy(dtype=float)
        sd = x.std()
        varying[f"county_{v}"] = (x - x.mean()) / (sd if sd > 0 else 1.0)
    for v in COUNTY_FLAGS:
        varying[f"county_{v}"] = df[v].to_numpy(dtype=float)
    varying.update(_dummies(df["region"], ["Midwest", "South", "West"], "region"))
    varying.update(_dummies(df["marital"], ["never", "divorced_separated", "widowed"], "marital"))
    varying.update(_dummies(df["education"], ["less_hs", "some_college", "ba_plus"], "education"))
    years = sorted(df["year"].unique())
    varying.update(_dummies(df["year"], [str(y) for y in years[1:]], "year"))
    for v, x in varying.items():
        m = person_mean(codes, x)
        dev = x - m
        if np.max(np.abs(dev), initial=0.0) > 1e-12 * max(1.0, float(np.max(np.abs(x), initial=0.0))):
            cols[f"{v}_within"] = dev
        cols[f"{v}_between"] = m
    cols["age_between_sq"] = (cols["age_between"] - 40) ** 2 / 100
    cols["female"] = _dummies(df["sex"], ["female"], "sex")["sex=female"]
    if group is None:
        cols.update({k: v for k, v in _dummies(df["race_eth"], ["latino", "black", "other"], "race").items()})
    names = list(cols)
    X = np.empty((len(df), len(names)), order="F")  # column writes are contiguous
    for j, n in enumerate(names):
        X[:, j] = cols[n]
    return Design(X, names, df["violent"].to_numpy(dtype=float), df["person_id"].to_numpy(),
                  _strings(df["county_fips"]), df["weight"].to_numpy(dtype=float))


def within_design(frame: pd.DataFrame, policies=POLICIES, group: str | None = None,
                  extra: dict[str, np.ndarray] | None = None, rows: np.ndarray | None = None) -> Design:
    """Design for the person fixed-effects (conditional) logit: only what changes within a person.

    Policies, time-varying covariates and year effects (`extra`: further columns aligned with `frame`,
    e.g. event-time indicators, which then replace the policies). `rows` (a boolean mask aligned with
    `frame`) builds the design on those rows only, e.g. the informative persons (under 1% of interviews):
    the year dummies keep the group's full set of years, so the columns equal the full design's rows.
    """
    mask = np.ones(len(frame), dtype=bool) if group is None else (frame["race_eth"] == group).to_numpy()
    years = sorted(frame["year"].unique() if group is None else frame.loc[mask, "year"].unique())
    if rows is not None:
        mask = mask & np.asarray(rows, dtype=bool)
    df = frame.loc[mask]
    cols: dict[str, np.ndarray] = {}
    if extra is not None:
        cols.update({k: np.asarray(v, dtype=float)[mask] for k, v in extra.items()})
    else:
        cols.update({p: df[p].to_numpy(dtype=float) for p in policies})
    for v in ("employed", "income_bracket", "homeowner", "log_years_at_address", "interview_number"):
        cols[v] = df[v].to_numpy(dtype=float)
    cols.update(_dummies(df["year"], [str(y) for y in years[1:]], "year"))
    names = list(cols)
    X = np.column_stack([cols[n] for n in names])
    return Design(X, names, df["violent"].to_numpy(dtype=float), df["person_id"].to_numpy(),
                  df["county_fips"].astype(str).to_numpy(), df["weight"].to_numpy(dtype=float))
