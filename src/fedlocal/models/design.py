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

import ctypes
import ctypes.util
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

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


def release_freed_memory() -> None:
    """Hand memory that has been freed back to the operating system (call after dropping a large frame).

    Reading the interview file and joining the covariates leave ~300 MB at a million rows in the allocators'
    free lists (Arrow's memory pool and glibc's heap) after the interview frame is deleted; the model stages
    then run with that much less resident memory, which matters when two of them run side by side. Where
    glibc is not the C library (no malloc_trim), only Arrow's pool is released.
    """
    pa.default_memory_pool().release_unused()
    libc = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(libc), "malloc_trim", None) if libc else None
    if trim is not None:
        trim(0)


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


def _person_mean(codes: np.ndarray, counts: np.ndarray, x: np.ndarray) -> np.ndarray:
    """person_mean with the persons' interview counts computed once per design."""
    return (np.bincount(codes, weights=x) / counts)[codes]


class _Columns:
    """A column-major design matrix filled one named column at a time.

    The design is written straight into its final array: collecting ~85 columns of a million rows first and
    stacking them after held the matrix twice (1.4 GB at the paper's scale). `width` is an upper bound on the
    columns; the matrix handed out is the first `len(names)` columns (an F-contiguous view, so BLAS sees the
    same layout as an exact-size array).
    """

    def __init__(self, rows: int, width: int):
        self.X = np.empty((rows, width), order="F")  # column writes are contiguous
        self.names: list[str] = []

    def add(self, name: str, values) -> None:
        self.X[:, len(self.names)] = values
        self.names.append(name)

    def column(self, name: str) -> np.ndarray:
        return self.X[:, self.names.index(name)]

    def matrix(self) -> np.ndarray:
        return self.X[:, :len(self.names)]


def hybrid_design(frame: pd.DataFrame, policies=POLICIES, group: str | None = None, pooled: bool = False) -> Design:
    """Between-within logit design: every time-varying regressor as person mean + deviation.

    Split: policies, time-varying individual covariates, time in sample, county covariates, region, marital
    status, education and year indicators. A deviation that is zero for every person (e.g. region when
    nobody moves) is left out, its mean kept. Sex and race/ethnicity are constant by construction.
    `group` restricts to one race/ethnicity (its dummies then drop out); `pooled` interacts every policy
    term with the four race/ethnicity groups so that group differences can be tested in one model.
    Columns come in a fixed order: the policy within terms first (never dropped for collinearity first).
    Each regressor is split as it is read, so no more than one column's temporaries exist beside the matrix.
    """
    df = frame if group is None else frame.loc[frame["race_eth"] == group]
    if len(df) == 0:
        raise FedlocalError(f"no interviews for group {group!r}; race_eth must be one of {RACE_ETH}.")
    codes = _codes(df["person_id"])
    counts = np.bincount(codes)
    years = sorted(df["year"].unique())
    dummies = {"region": ["Midwest", "South", "West"], "marital": ["never", "divorced_separated", "widowed"],
               "education": ["less_hs", "some_college", "ba_plus"], "year": [str(y) for y in years[1:]]}

    def varying():
        """The time-varying regressors, one at a time (name, values)."""
        for v in TIME_VARYING:
            yield v, df[v].to_numpy(dtype=float)
        for v in COUNTY_NUMERIC:
            x = df[v].to_numpy(dtype=float)
            sd = x.std()
            yield f"county_{v}", (x - x.mean()) / (sd if sd > 0 else 1.0)
        for v in COUNTY_FLAGS:
            yield f"county_{v}", df[v].to_numpy(dtype=float)
        for column, levels in dummies.items():
            yield from _dummies(df[column], levels, column).items()

    # a regressor identical across each person's interviews has no within column (its deviation is rounding
    # only, below the tolerance of the test further down); counting them first sizes the matrix to within
    # the rare regressor whose deviations are not exactly zero yet below that tolerance
    first = np.zeros(len(counts), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    n_within = sum(bool(np.any(x != x[first[codes]])) for _, x in varying())
    n_varying = len(TIME_VARYING) + len(COUNTY_NUMERIC) + len(COUNTY_FLAGS) + sum(map(len, dummies.values()))
    width = (2 * len(policies) * (len(RACE_ETH) if pooled else 1) + 1 + n_varying + n_within + 2
             + (3 if group is None else 0))
    out = _Columns(len(df), width)
    race = _strings(df["race_eth"]) if pooled else None
    if pooled:
        for p in policies:
            x = df[p].to_numpy(dtype=float)
            dev = x - _person_mean(codes, counts, x)
            for g in RACE_ETH:
                out.add(f"{p}_within:{g}", dev * (race == g))
        for p in policies:
            m = _person_mean(codes, counts, df[p].to_numpy(dtype=float))
            for g in RACE_ETH:
                out.add(f"{p}_between:{g}", m * (race == g))
    else:
        for p in policies:
            x = df[p].to_numpy(dtype=float)
            out.add(f"{p}_within", x - _person_mean(codes, counts, x))
        for p in policies:
            out.add(f"{p}_between", _person_mean(codes, counts, df[p].to_numpy(dtype=float)))
    out.add("const", 1.0)
    for v, x in varying():
        m = _person_mean(codes, counts, x)
        dev = x - m
        if np.max(np.abs(dev), initial=0.0) > 1e-12 * max(1.0, float(np.max(np.abs(x), initial=0.0))):
            out.add(f"{v}_within", dev)
        out.add(f"{v}_between", m)
    out.add("age_between_sq", (out.column("age_between") - 40) ** 2 / 100)
    out.add("female", _dummies(df["sex"], ["female"], "sex")["sex=female"])
    if group is None:
        for k, v in _dummies(df["race_eth"], ["latino", "black", "other"], "race").items():
            out.add(k, v)
    return Design(out.matrix(), out.names, df["violent"].to_numpy(dtype=float), df["person_id"].to_numpy(),
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
