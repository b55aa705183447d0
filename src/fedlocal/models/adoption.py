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

# The two hazard models: programs whose first start is the entry, and the years at risk. 287(g) over the whole
# window; SC through 2012 only: in January 2013 ICE switched on every remaining county at once to meet its
# deadline, so those counties are censored at the end of 2012 (their timing reflects the deadline, not the county).
HAZARD_MODELS = {"287(g)": (("jem", "tfm"), 2005, 2014), "Secure Communities": (("sc",), 2008, 2012)}

# Adopter groups of the balance table: name -> (programs, entered by the end of this year; None = ever by 2014).
# SC reached every county by January 2013, so for SC "adopters vs others" means early (by 2010) vs late.
SC_EARLY_BY = 2010  # SC switched on by the end of this year counts as early (ICE finished in January 2013)
ADOPTER_GROUPS = {"287(g) jail": (("jem",), None), "287(g) task force": (("tfm",), None),
                  "SC by 2010": (("sc",), SC_EARLY_BY), "anti-detainer": (("antidetainer",), None)}
BASELINE_YEAR = 2005  # before any program began, except the few 287(g) agreements signed in 2005
# Covariates of the balance table, as built by `baseline`: column -> what it is.
BALANCE_COVARIATES = {
    "population_k": "population (thousands)", "pct_latino": "% Latino", "pct_black": "% non-Latino Black",
    "pct_white_nh": "% non-Latino white", "pct_foreign_born": "% foreign born", "poverty_rate": "poverty rate (%)",
    "income_k": "median household income ($1,000s)", "unemployment_rate": "unemployment rate (%)",
    "pct_same_house": "% same house 1 year ago", "pct_owner": "% owner-occupied", "metro": "metro (share)",
    "south": "South (share)", "border": "Mexican border (share)", "new_destination": "new Latino destination (share)",
}


def entry_years(spells: pd.DataFrame, programs: tuple[str, ...]) -> pd.Series:
    """Year each county first entered any of `programs` (spells: fips, program, start); index fips."""
    s = spells[spells["program"].isin(programs)]
    start = pd.to_datetime(s["start"])
    return start.groupby(s["fips"].astype(str)).min().dt.year.rename("entry_year")


def entries_by_year(entry: pd.Series) -> dict[int, int]:
    """Number of counties entering in each year (entry: `entry_years`)."""
    return entry.value_counts().sort_index().to_dict()


def entered_by(entry: pd.Series, year: int, fips) -> int:
    """How many of the counties `fips` had entered by the end of `year`."""
    return int((entry.reindex(list(fips)) <= year).sum())


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
    # imported here: statsmodels takes seconds to import, and only this fit (stage 'counties') needs it
    from statsmodels.discrete.discrete_model import Logit

    res = Logit(d["event"].to_numpy(float), design.to_numpy(float)).fit(
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


def fit_adoption_models(covariates: pd.DataFrame, spells: pd.DataFrame, terms: list[str] | None = None) -> dict[str, HazardFit]:
    """The HAZARD_MODELS, each fitted on its risk set from the covariate panel and the policy spells."""
    terms = list(TERMS) if terms is None else terms
    return {name: fit_hazard(risk_set(covariates, entry_years(spells, programs), first, last), terms)
            for name, (programs, first, last) in HAZARD_MODELS.items()}


def fit_summary(fits: dict[str, HazardFit]) -> pd.DataFrame:
    """The sample behind each fitted model: entries, county-years and counties at risk, clusters, years used."""
    return pd.DataFrame([{"model": name, "entries": f.n_events, "county_years": f.n_county_years, "counties": f.n_counties,
                          "state_clusters": f.n_clusters, "years_used": f"{f.years_used[0]}-{f.years_used[-1]}",
                          "years_dropped_no_entry": f.years_dropped} for name, f in fits.items()])


def baseline_covariates(covariates: pd.DataFrame, year: int = BASELINE_YEAR) -> pd.DataFrame:
    """One row per county: its covariates in `year` with the BALANCE_COVARIATES columns (shares as 0/1 floats,
    population and income in thousands)."""
    return covariates[covariates["year"] == year].assign(
        population_k=lambda d: d["population"].astype(float) / 1000, south=lambda d: (d["region"] == "South").astype(float),
        metro=lambda d: d["metro"].astype(float), border=lambda d: d["border"].astype(float),
        new_destination=lambda d: d["new_destination"].astype(float), income_k=lambda d: d["median_hh_income"] / 1000)


def adopter_groups(spells: pd.DataFrame) -> dict[str, pd.Series]:
    """ADOPTER_GROUPS as boolean Series indexed by fips (True = adopter; counties never entering are absent)."""
    groups = {}
    for name, (programs, by_year) in ADOPTER_GROUPS.items():
        entry = entry_years(spells, programs)
        groups[name] = pd.Series(True, index=entry.index) if by_year is None else entry <= by_year
    return groups


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


def hazard_long(fits: dict[str, HazardFit]) -> pd.DataFrame:
    """One row per model and term (model, term, label, odds_ratio, ci_low, ci_high, p_value) plus sample sizes."""
    parts = [f.table.assign(model=name, n_events=f.n_events, n_county_years=f.n_county_years, n_counties=f.n_counties,
                            n_clusters=f.n_clusters, years=",".join(map(str, f.years_used)))
             for name, f in fits.items()]
    cols = ["model", "term", "label", "odds_ratio", "ci_low", "ci_high", "p_value", "n_events", "n_county_years",
            "n_counties", "n_clusters", "years"]
    return pd.concat(parts, ignore_index=True)[cols]
