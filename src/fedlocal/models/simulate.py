"""A small NCVS-shaped person-interview panel with known effects, for testing and benchmarking the models.

Independent of the project's synthetic NCVS source on purpose: the estimators are checked against
answers this module plants (odds ratios per policy x group) on a panel whose design (6-month rotation,
up to 7 interviews, staggered county start dates) is the one the models must handle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

POLICIES = ("sc", "jem", "tfm", "antidetainer")
MONTHS = pd.period_range("2005-01", "2014-12", freq="M")


@dataclass
class Simulated:
    interviews: pd.DataFrame  # NCVS interview schema with exposure columns
    covariates: pd.DataFrame  # county x year covariates
    panel: pd.DataFrame  # county x month policy indicators (fips, month, sc, jem, tfm, antidetainer)


def simulate(n_persons: int = 20_000, n_counties: int = 200, odds_ratios: dict | None = None, seed: int = 1,
             person_sd: float = 0.0, county_sd: float = 0.0, base_logit: float = -3.2,
             confounding: float = 0.0) -> Simulated:
    """Simulate the panel; `odds_ratios` maps policy -> group -> odds ratio (missing = 1).

    `confounding` adds a county intercept that rises with early SC adoption and a person intercept tied
    to each person's share of exposed interviews: it biases estimators that do not work within person.
    """
    rng = np.random.default_rng(seed)
    odds_ratios = odds_ratios or {}
    nm = len(MONTHS)
    fips = np.array([f"{10001 + i:05d}" for i in range(n_counties)])
    # policy timelines (month index 0 = 2005-01)
    active = {p: np.zeros((n_counties, nm), dtype=np.int8) for p in POLICIES}
    sc_start = rng.integers(46, 97, n_counties)
    jem_on = rng.random(n_counties) < 0.15
    jem_start = rng.integers(12, 90, n_counties)
    tfm_on = rng.random(n_counties) < 0.10
    tfm_start = rng.integers(12, 60, n_counties)
    ad_on = rng.random(n_counties) < 0.10
    ad_start = rng.integers(84, 116, n_counties)
    m = np.arange(nm)[None, :]
    active["sc"][:] = m >= sc_start[:, None]
    active["jem"][:] = jem_on[:, None] & (m >= jem_start[:, None])
    active["tfm"][:] = tfm_on[:, None] & (m >= tfm_start[:, None]) & (m <= 95)
    active["antidetainer"][:] = ad_on[:, None] & (m >= ad_start[:, None])
    panel = pd.DataFrame({"fips": np.repeat(fips, nm), "month": np.tile(MONTHS.strftime("%Y-%m"), n_counties)})
    for p in POLICIES:
        panel[p] = active[p].ravel()

    region = rng.choice(["Northeast", "Midwest", "South", "West"], n_counties)
    pct_latino = rng.beta(1.2, 6, n_counties) * 100
    years = np.arange(2005, 2015)
    cov = pd.DataFrame({"fips": np.repeat(fips, len(years)), "year": np.tile(years, n_counties)})
    rep = lambda a: np.repeat(a, len(years))  # noqa: E731
    noise = lambda s: rng.normal(0, s, len(cov))  # noqa: E731
    cov["population"] = rep(np.exp(rng.normal(11, 1.2, n_counties))).round()
    cov["pct_latino"] = rep(pct_latino) + noise(0.3)
    cov["pct_black"] = rep(rng.beta(1, 8, n_counties) * 100)
    cov["pct_white_nh"] = np.clip(100 - cov["pct_latino"] - cov["pct_black"] - 5, 0, 100)
    cov["pct_foreign_born"] = rep(pct_latino * 0.4) + noise(0.2)
    cov["poverty_rate"] = rep(rng.normal(15, 4, n_counties)) + noise(1)
    cov["median_hh_income"] = rep(np.exp(rng.normal(10.8, 0.2, n_counties)))
    cov["unemployment_rate"] = rep(rng.normal(6, 1.5, n_counties)) + np.tile(np.r_[0, 0, 0, 1, 4, 4, 3, 2, 1.5, 0.5], n_counties)
    cov["pct_same_house"] = rep(rng.normal(85, 3, n_counties))
    cov["pct_owner"] = rep(rng.normal(70, 6, n_counties))
    cov["urban_rural"] = rep(rng.integers(1, 7, n_counties)).astype(np.int8)
    cov["metro"] = (cov["urban_rural"] <= 4).astype(np.int8)
    cov["region"] = rep(region)
    cov["border"] = rep(rng.random(n_counties) < 0.05)
    cov["new_destination"] = rep(rng.random(n_counties) < 0.2)

    # persons: a county, a first interview month, up to 7 interviews 6 months apart
    county = rng.integers(0, n_counties, n_persons)
    first = rng.integers(-36, nm, n_persons)
    k = np.arange(7)
    month = first[:, None] + 6 * k[None, :]
    present = (month >= 0) & (month < nm) & (rng.random((n_persons, 7)) < 0.88)
    pid, j = np.nonzero(present)
    mon = month[pid, j]
    c = county[pid]
    # exposure, rule 'any': active on any month of the 6 before the interview month
    cum = {p: np.concatenate([np.zeros((n_counties, 1)), np.cumsum(active[p], axis=1)], axis=1) for p in POLICIES}
    lo = np.clip(mon - 6, 0, nm)
    expo = {p: ((cum[p][c, mon] - cum[p][c, lo]) > 0).astype(float) for p in POLICIES}

    lat_share = pct_latino[county] / 100
    u = rng.random(n_persons)
    race = np.where(u < lat_share, "latino", np.where(u < lat_share + 0.12, "black",
                    np.where(u < lat_share + 0.12 + 0.08, "other", "white")))
    race_i = race[pid]
    age0 = rng.integers(12, 85, n_persons)
    age = age0[pid] + (mon - first[pid]) // 12
    n = len(pid)
    eta = np.full(n, base_logit) - 0.02 * (age - 40)
    person_u = rng.normal(0, person_sd, n_persons)
    county_u = rng.normal(0, county_sd, n_counties)
    if confounding:
        county_u = county_u + confounding * (96 - sc_start) / 50
        share = np.bincount(pid, weights=expo["sc"], minlength=n_persons) / np.maximum(np.bincount(pid, minlength=n_persons), 1)
        person_u = person_u + confounding * share
    eta += person_u[pid] + county_u[c]
    for p, row in odds_ratios.items():
        for g, orv in row.items():
            eta += np.log(orv) * expo[p] * (race_i == g)
    violent = (rng.random(n) < special.expit(eta)).astype(np.int8)
    interview_month = MONTHS[mon]
    start = (interview_month - 6).to_timestamp()
    end = (interview_month.to_timestamp() - pd.Timedelta(days=1))
    df = pd.DataFrame({
        "person_id": (pid + 1).astype(np.int64),
        "household_id": (pid // 2 + 1).astype(np.int64),
        "county_fips": fips[c],
        "interview_month": interview_month.strftime("%Y-%m"),
        "year": interview_month.year.astype(np.int16),
        "ref_start": np.asarray(start, dtype="datetime64[ns]"),
        "ref_end": np.asarray(end, dtype="datetime64[ns]"),
        "interview_number": (j + 1).astype(np.int8),
        "violent": violent,
        "violent_count": violent.astype(np.int16),
        "weight": np.exp(rng.normal(7.8, 0.3, n_persons))[pid],
        "age": age.astype(np.int16),
        "sex": rng.choice(["male", "female"], n_persons)[pid],
        "race_eth": race_i,
        "marital": rng.choice(["married", "never", "divorced_separated", "widowed"], n_persons, p=[.5, .3, .15, .05])[pid],
        "education": rng.choice(["less_hs", "hs", "some_college", "ba_plus"], n_persons)[pid],
        "employed": (rng.random(n) < 0.6).astype(np.int8),
        "income_bracket": np.clip(rng.integers(1, 15, n_persons)[pid] + rng.integers(-1, 2, n), 1, 14).astype(np.int8),
        "homeowner": (rng.random(n_persons) < 0.65).astype(np.int8)[pid],
        "years_at_address": (rng.exponential(8, n_persons)[pid] + (mon - first[pid]) / 12).clip(0),
    })
    for p in POLICIES:
        df[p] = expo[p]
    return Simulated(df.sort_values(["person_id", "interview_number"], ignore_index=True), cov, panel)
