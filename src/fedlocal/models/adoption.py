"""Who adopted which program: pre-adoption balance and a discrete-time hazard model of adoption timing.

The victimization models compare counties before and after a program switched on. That comparison is
only as good as the reason the timing varies: Secure Communities (SC) was switched on by ICE on its
own schedule, 287(g) agreements were sought by local sheriffs. The hazard model asks which county
traits predicted *when* a county entered each program; the balance table asks how adopters differed
from everyone else before anything happened.

Hazard model: one row per county and year at risk (from the first year until the year the county
enters the program, which is its last row, with event = 1), a logit of the event on the covariates
and one intercept per year (the baseline hazard), standard errors clustered by state. Years without a
single event are dropped: with a free intercept per year they carry no information on the covariates
(their intercept would run to minus infinity).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

# Hazard-model terms: name -> (how it is built from the covariate panel, what one unit is).
TERMS = {
    "pct_latino": (lambda d: d["pct_latino"] / 10, "10 points of % Latino"),
    "pct_black": (lambda d: d["pct_black"] / 10, "10 points of % non-Latino Black"),
    "pct_foreign_born": (lambda d: d["pct_foreign_born"] / 10, "10 points of % foreign born"),
    "new_destination": (lambda d: d["new_destination"].astype(float), "new Latino destination (vs not)"),
    "border": (lambda d: d["border"].astype(float), "US-Mexico border county (vs not)"),
    "log_population": (lambda d: np.log(d["population"].astype(float)), "log population (x e = 2.7 times larger)"),
    "poverty_rate": (lambda d: d["poverty_rate"] / 10, "10 points of poverty rate"),
    "unemployment_rate": (lambda d: d["unemployment_rate"].astype(float), "1 point of unemployment rate"),
    "pct_owner": (lambda d: d["pct_owner"] / 10, "10 points of % owner-occupied"),
    "metro": (lambda d: d["metro"].astype(float), "metropolitan county (vs not)"),
    "south": (lambda d: (d["region"] == "South").astype(float), "South (vs other regions)"),
}

LABELS = {k: v[1] for k, v in TERMS.items()}


def entry_years(spells: pd.DataFrame, programs: tuple[str, ...]) -> pd.Series:
    """Year each county first entered any of `programs` (spells: fips, program, start); index fips."""
    s = spells[spells["program"].isin(programs)]
    start = pd.to_datetime(s["start"])
    return start.groupby(s["fips"].astype(str)).min().dt.year.rename("entry_year")


def risk_set(covariates: pd.DataFrame, entry: pd.Series, first_year: int, last_year: int) -> pd.DataFrame:
    """County-years at risk: years first_year..min(entry, last_year); event = 1 in the entry year.

    Counties that entered before first_year are not at risk and are left out; counties that never
    entered (or entered after last_year) are censored at last_year.
    """
    d = covariates[(covariates["year"] >= first_year) & (covariates["year"] <= last_year)].copy()
    d["entry_year"] = d["fips"].map(entry)
    d = d[~(d["entry_year"] < first_year)]
    d = d[d["entry_year"].isna() | (d["year"] <= d["entry_year"])]
    d["event"] = (d["year"] == d["entry_year"]).astype(int)
    if "state_fips" not in d:
        d["state_fips"] = d["fips"].str[:2]
    return d.drop(columns="entry_year").reset_index(drop=True)


@dataclass
class HazardFit:
    """Odds ratios per term and the sample they come from."""

    table: pd.DataFrame  # term, label, odds_ratio, ci_low, ci_high, p_value
    n_county_years: int
    n_counties: int
    n_events: int
    n_clusters: int
    years_used: list[int]
    years_dropped: list[int]


def fit_hazard(at_risk: pd.DataFrame, terms: list[str] | None = None, cluster: str = "state_fips",
               level: float = 0.95) -> HazardFit:
    """Discrete-time logit hazard with year intercepts and cluster-robust (CR1) errors.

    at_risk: output of `risk_set` plus a `cluster` column. Rows with a missing covariate are dropped.
    """
    terms = list(TERMS) if terms is None else terms
    d = at_risk.copy()
    X = pd.DataFrame({t: TERMS[t][0](d) for t in terms}, index=d.index)
    keep = X.notna().all(axis=1) & np.isfinite(X).all(axis=1)
    d, X = d[keep], X[keep]
    events_by_year = d.groupby("year")["event"].sum()
    years_used = sorted(int(y) for y in events_by_year[events_by_year > 0].index)
    years_dropped = sorted(int(y) for y in events_by_year[events_by_year == 0].index)
    use = d["year"].isin(years_used)
    d, X = d[use], X[use]
    # a term with no variation among the rows left (e.g. no border county at risk) cannot be estimated
    varying = [t for t in terms if X[t].nunique() > 1]
    year_dummies = pd.get_dummies(d["year"], prefix="year", dtype=float)
    design = pd.concat([X[varying], year_dummies], axis=1)
    groups = pd.factorize(d[cluster])[0]
    res = sm.Logit(d["event"].to_numpy(float), design.to_numpy(float)).fit(
        disp=0, method="newton", maxiter=200, cov_type="cluster", cov_kwds={"groups": groups})
    z = stats.norm.ppf(0.5 + level / 2)
    params, se = np.asarray(res.params)[: len(varying)], np.asarray(res.bse)[: len(varying)]
    pvals = np.asarray(res.pvalues)[: len(varying)]
    rows = []
    for t in terms:
        if t in varying:
            i = varying.index(t)
            rows.append((t, LABELS[t], np.exp(params[i]), np.exp(params[i] - z * se[i]), np.exp(params[i] + z * se[i]), pvals[i]))
        else:
            rows.append((t, LABELS[t], np.nan, np.nan, np.nan, np.nan))
    table = pd.DataFrame(rows, columns=["term", "label", "odds_ratio", "ci_low", "ci_high", "p_value"])
    return HazardFit(table, int(len(d)), int(d["fips"].nunique()), int(d["event"].sum()),
                     int(len(np.unique(groups))), years_used, years_dropped)


def smd(a: pd.Series, b: pd.Series) -> float:
    """Standardized mean difference (a - b) / sqrt((var a + var b) / 2), missing values ignored."""
    a, b = a.dropna().astype(float), b.dropna().astype(float)
    pooled = np.sqrt((a.var() + b.var()) / 2)
    return float((a.mean() - b.mean()) / pooled) if pooled > 0 else float("nan")


def balance(baseline: pd.DataFrame, groups: dict[str, pd.Series], columns: list[str]) -> pd.DataFrame:
    """Adopter vs other counties: mean of each column in each group, and the standardized difference.

    baseline: one row per county (fips + columns) measured before adoption; groups: name -> boolean
    Series indexed by fips (True = adopter). Returns one row per column with `all`, then per group
    `<name>: adopters`, `<name>: others`, `<name>: smd`; a first row `counties` holds group sizes.
    """
    b = baseline.set_index("fips")
    out = {"all": [len(b)] + [float(b[c].astype(float).mean()) for c in columns]}
    for name, flag in groups.items():
        flag = flag.reindex(b.index).fillna(False).astype(bool)
        a, o = b[flag], b[~flag]
        out[f"{name}: adopters"] = [int(flag.sum())] + [float(a[c].astype(float).mean()) for c in columns]
        out[f"{name}: others"] = [int((~flag).sum())] + [float(o[c].astype(float).mean()) for c in columns]
        out[f"{name}: smd"] = [np.nan] + [smd(a[c], o[c]) for c in columns]
    return pd.DataFrame(out, index=["counties"] + columns).rename_axis("covariate").reset_index()


def simulate_adoption(n_counties: int = 3000, years=range(2005, 2015), beta: dict | None = None,
                      base_hazard: float = -4.0, n_states: int = 50, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """A covariate panel and entry years from a known logit hazard (for tests): returns (covariates, entry).

    beta maps TERMS names to log-odds per unit of the term as built by TERMS.
    """
    beta = {"pct_latino": np.log(1.5), "border": np.log(3.0)} if beta is None else beta
    rng = np.random.default_rng(seed)
    years = list(years)
    fips = [f"{i:05d}" for i in range(1, n_counties + 1)]
    state = rng.integers(1, n_states + 1, n_counties)
    static = pd.DataFrame({
        "fips": fips, "state_fips": [f"{s:02d}" for s in state],
        "pct_latino0": rng.gamma(1.0, 8.0, n_counties).clip(0, 95), "pct_black": rng.gamma(0.6, 12.0, n_counties).clip(0, 90),
        "pct_foreign_born": rng.gamma(1.0, 4.0, n_counties).clip(0, 60), "new_destination": rng.random(n_counties) < 0.15,
        "border": rng.random(n_counties) < 0.1, "population": np.exp(rng.normal(10.2, 1.3, n_counties)).round(),
        "poverty_rate": rng.normal(15, 5, n_counties).clip(2, 50), "pct_owner": rng.normal(72, 8, n_counties).clip(20, 95),
        "metro": (rng.random(n_counties) < 0.37).astype(int), "region": rng.choice(["South", "West", "Midwest", "Northeast"], n_counties),
    })
    rows = []
    for y in years:
        d = static.copy()
        d["year"] = y
        d["pct_latino"] = (d["pct_latino0"] * (1 + 0.02 * (y - years[0]))).clip(0, 100)
        d["unemployment_rate"] = rng.normal(6 + 2 * (2009 <= y <= 2011), 2, n_counties).clip(1, 30)
        rows.append(d)
    cov = pd.concat(rows, ignore_index=True).drop(columns="pct_latino0")
    eta = base_hazard + sum(coef * TERMS[t][0](cov) for t, coef in beta.items())
    event = rng.random(len(cov)) < 1 / (1 + np.exp(-eta))
    cov["event"] = event
    entry = cov[cov["event"]].groupby("fips")["year"].min().rename("entry_year")
    return cov.drop(columns="event"), entry


def hazard_long(fits: dict[str, HazardFit]) -> pd.DataFrame:
    """One row per model and term (model, term, label, odds_ratio, ci_low, ci_high, p_value) plus sample sizes."""
    parts = [f.table.assign(model=name, n_events=f.n_events, n_county_years=f.n_county_years, n_counties=f.n_counties,
                            n_clusters=f.n_clusters, years=",".join(map(str, f.years_used)))
             for name, f in fits.items()]
    cols = ["model", "term", "label", "odds_ratio", "ci_low", "ci_high", "p_value", "n_events", "n_county_years",
            "n_counties", "n_clusters", "years"]
    return pd.concat(parts, ignore_index=True)[cols]
