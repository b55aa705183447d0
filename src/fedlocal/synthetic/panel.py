"""The synthetic NCVS panel: which counties and addresses are sampled, who lives there, when they are interviewed.

The real county-identified file is restricted, so the default run simulates one, labelled synthetic
everywhere it appears. What is real: the counties and their populations and composition, the
county covariates, the policy timeline, the BJS national victimization series and group rates.
What is simulated: which counties and addresses are sampled, who lives there, and who is victimized
(the last in outcomes.py, after exposure is linked, exactly as for the restricted file).

Collection, as in the NCVS:
- counties are drawn with probability proportional to population (counties larger than the
  sampling interval are taken with certainty); addresses are allocated so the sample is
  self-weighting (in proportion to population / selection probability);
- an address is interviewed 7 times, every 6 months; a new set of addresses enters every month
  (rotation), so interviews spread evenly over the window, and addresses that entered before the
  window are mid-way through their 7 interviews when it opens;
- the household at an address moves out with `household_move` probability between interviews and
  a new household (new ids) moves in: movers are not followed; persons 12+ join (turning 12,
  moving in) and leave, households and persons sometimes do not respond;
- households are drawn to match their county's race/ethnicity shares; persons get age, sex,
  marital status, education, employment, household income, tenure and years at the address.

Every county and person also gets an unobserved propensity to be victimized (a standard-normal
score, scaled in outcomes.py). It is drawn here, with the persons, so that one random generator
passed from the panel to the outcomes makes the same draws in the same order as a single pass would.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from fedlocal import FedlocalError
from fedlocal.data.ncvs.schema import conform, reference_period
from fedlocal.vocab import RACE_ETH

PAPER_PERSONS = 354_000
PAPER_INTERVIEWS = 1_006_000
PAPER_WINDOW = (2005, 2014)
VISITS = 7          # interviews per address
STEP = 6            # months between interviews
SHARE_12PLUS = 0.84  # share of the population aged 12+ (2010 Census: about 16% are under 12)

# Age mix of persons 12+ by group over 12-17, 18-24, 25-34, 35-49, 50-64, 65+ (rounded 2010 Census shapes:
# Latino and Black populations are younger). Modelling assumption, not a calibration target.
AGE_MIX = {
    "white": (0.085, 0.105, 0.14, 0.23, 0.24, 0.20),
    "black": (0.11, 0.14, 0.17, 0.23, 0.21, 0.14),
    "latino": (0.14, 0.15, 0.21, 0.26, 0.15, 0.09),
    "other": (0.10, 0.14, 0.19, 0.26, 0.19, 0.12),
}
AGE_SPAN = ((12, 18), (18, 25), (25, 35), (35, 50), (50, 65), (65, 91))
# Marital status by age group: never, married, divorced_separated, widowed (assumption)
MARITAL_BY_AGE = ((1.0, 0, 0, 0), (0.86, 0.12, 0.02, 0), (0.45, 0.47, 0.075, 0.005), (0.17, 0.62, 0.19, 0.02),
                  (0.09, 0.64, 0.21, 0.06), (0.05, 0.55, 0.12, 0.28))
MARITAL = ("never", "married", "divorced_separated", "widowed")
EDUCATION = ("less_hs", "hs", "some_college", "ba_plus")
# Education of persons 25+ by group (assumption; 18-24 shifted to some college; 12-17 all less_hs)
EDUCATION_25PLUS = {"white": (0.09, 0.29, 0.29, 0.33), "black": (0.16, 0.33, 0.31, 0.20),
                    "latino": (0.36, 0.28, 0.22, 0.14), "other": (0.12, 0.24, 0.25, 0.39)}
EMPLOYED_BY_AGE = (0.12, 0.55, 0.75, 0.76, 0.65, 0.17)
# Median household income relative to the county median, by group (assumption, ACS-like ordering)
INCOME_RATIO = {"white": 1.12, "black": 0.68, "latino": 0.80, "other": 1.10}
INCOME_EDGES = np.array([5, 7.5, 10, 12.5, 15, 17.5, 20, 25, 30, 35, 40, 50, 75]) * 1000.0  # NCVS brackets 1..14
OWNER_SHIFT = {"white": 0.35, "black": -0.8, "latino": -0.7, "other": -0.2}  # log-odds vs county rate


class SyntheticInputError(FedlocalError):
    """The inputs of the synthetic generator (counties, spells, parameters) cannot be used."""


@dataclass(frozen=True)
class Design:
    """The panel's collection rates (per 6-month step); chosen so persons per interview match the paper."""

    n_counties: int = 500
    household_move: float = 0.08
    household_nonresponse: float = 0.10
    person_nonresponse: float = 0.12
    person_exit: float = 0.08      # leaves the household or stops responding for good
    person_join: float = 0.05      # new persons 12+ per household interview
    persons12_probs: tuple = (0.30, 0.42, 0.15, 0.09, 0.04)  # 1..5 persons 12+ per household


@dataclass
class Panel:
    """The person-interviews in the schema, without exposure or outcomes, and what they were drawn from.

    `counties` are the sampled counties (fips, selection probability `pi`, `certainty`, the population
    each `represents`, covariates, `race_shares`); `county_propensity` (one per row of `counties`) and
    `person_propensity` (one per person, index person_id - 1) are the unobserved standard-normal scores
    outcomes.py turns into random intercepts.
    """

    interviews: pd.DataFrame
    counties: pd.DataFrame
    county_propensity: np.ndarray
    person_propensity: np.ndarray
    first_year: int
    last_year: int
    design: Design
    addresses_per_month: int
    planned: dict


# ---------------------------------------------------------------------------------------------- sampling
def sample_counties(counties: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """PPS sample of n counties (certainty counties first), with selection probability and address allocation."""
    c = counties[["fips", "population"]].copy()
    c = c[c["population"] > 0].reset_index(drop=True)
    n = min(n, len(c))
    pop = c["population"].to_numpy(float)
    certain = np.zeros(len(c), bool)
    interval = np.inf
    while n - certain.sum() > 0:  # counties at least as large as the sampling interval are certain
        k = n - certain.sum()
        interval = pop[~certain].sum() / k
        new = ~certain & (pop >= interval)
        if not new.any():
            break
        certain |= new
    pi = np.where(certain, 1.0, pop / interval)
    # systematic PPS among the rest, in random order
    rest = np.flatnonzero(~certain)
    if n - certain.sum() == 0 or len(rest) == 0:
        out = c[certain].copy() if certain.any() else c.copy()
        out["pi"], out["certainty"] = 1.0, True
        out["represents"] = out["population"].astype(float)
        return out.reset_index(drop=True)
    order = rest[rng.permutation(len(rest))]
    cum = np.cumsum(pop[order])
    points = rng.uniform(0, interval) + interval * np.arange(n - certain.sum())
    chosen = order[np.searchsorted(cum, points, side="right").clip(max=len(order) - 1)]
    picked = np.concatenate([np.flatnonzero(certain), np.unique(chosen)])
    out = c.iloc[np.sort(picked)].copy()
    out["pi"] = pi[out.index]
    out["certainty"] = certain[out.index]
    out["represents"] = out["population"] / out["pi"]  # population each sampled county stands for
    return out.reset_index(drop=True)


def _window_months(first_year: int, last_year: int) -> int:
    return 12 * (last_year - first_year + 1)


def _skeleton(addresses_per_month: int, first_year: int, last_year: int, design: Design,
              rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The rotating panel without attributes: who is interviewed when (month index 0 = first_year-01)."""
    W = _window_months(first_year, last_year)
    entry = np.repeat(np.arange(-STEP * (VISITS - 1), W), addresses_per_month)
    A = len(entry)
    moves = rng.random((A, VISITS)) < design.household_move
    moves[:, 0] = False
    hh_idx = np.cumsum(moves, axis=1)
    n_hh_addr = hh_idx[:, -1] + 1
    hh_base = np.cumsum(n_hh_addr) - n_hh_addr
    hh_flat = (hh_base[:, None] + hh_idx).ravel()
    k_flat = np.tile(np.arange(VISITS), A)
    _, first_idx, hh_nvis = np.unique(hh_flat, return_index=True, return_counts=True)
    hh_address = first_idx // VISITS
    hh_kstart = k_flat[first_idx]
    hh_kend = hh_kstart + hh_nvis - 1
    H = len(hh_address)
    # persons: initial members at the household's first interview, joiners at later ones
    n_init = rng.choice(np.arange(1, len(design.persons12_probs) + 1), size=H, p=design.persons12_probs)
    joins = rng.poisson(design.person_join, size=len(hh_flat))
    joins[first_idx] = 0
    p_hh = np.concatenate([np.repeat(np.arange(H), n_init), np.repeat(hh_flat, joins)])
    p_ks = np.concatenate([np.repeat(hh_kstart, n_init), np.repeat(k_flat, joins)])
    p_joined = np.concatenate([np.zeros(n_init.sum(), bool), np.ones(joins.sum(), bool)])
    order = np.lexsort((p_ks, p_hh))
    p_hh, p_ks, p_joined = p_hh[order], p_ks[order], p_joined[order]
    p_first = np.r_[True, p_hh[1:] != p_hh[:-1]] & ~p_joined  # the household's reference person
    stay = rng.geometric(design.person_exit, size=len(p_hh))
    p_ke = np.minimum(p_ks + stay - 1, hh_kend[p_hh])
    cnt = p_ke - p_ks + 1
    pv_person = np.repeat(np.arange(len(p_hh)), cnt)
    offset = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    pv_k = p_ks[pv_person] + offset
    pv_addr = hh_address[p_hh[pv_person]]
    pv_month = entry[pv_addr] + STEP * pv_k
    hh_nonresp = rng.random(A * VISITS) < design.household_nonresponse
    keep = (pv_month >= 0) & (pv_month < W) & ~hh_nonresp[pv_addr * VISITS + pv_k] \
        & (rng.random(len(pv_k)) >= design.person_nonresponse)
    return {"entry": entry, "hh_address": hh_address, "hh_kstart": hh_kstart, "p_hh": p_hh, "p_ks": p_ks,
            "p_joined": p_joined, "p_first": p_first, "person": pv_person[keep], "k": pv_k[keep], "month": pv_month[keep]}


@lru_cache(maxsize=8)
def _per_address(first_year: int, last_year: int, design: Design) -> tuple[float, float]:
    """Expected interviews and persons per address entry (a fixed-seed run of the panel alone)."""
    sk = _skeleton(300, first_year, last_year, design, np.random.default_rng(0))
    n_entries = len(sk["entry"])
    return len(sk["person"]) / n_entries, len(np.unique(sk["person"])) / n_entries


def addresses_per_month(scale: float, design: Design = Design()) -> int:
    """New addresses per month so that scale 1.0 gives the paper's 1,006,000 interviews over 2005-2014."""
    ipa, _ = _per_address(*PAPER_WINDOW, design)
    n_entry_months = _window_months(*PAPER_WINDOW) + STEP * (VISITS - 1)
    return max(1, int(round(scale * PAPER_INTERVIEWS / (ipa * n_entry_months))))


def planned_counts(scale: float, first_year: int = 2005, last_year: int = 2014, design: Design = Design()) -> dict:
    """Expected persons and interviews for a scale and window (without generating the sample)."""
    a = addresses_per_month(scale, design)
    ipa, ppa = _per_address(first_year, last_year, design)
    n_entries = a * (_window_months(first_year, last_year) + STEP * (VISITS - 1))
    return {"addresses_per_month": a, "interviews": ipa * n_entries, "persons": ppa * n_entries}


# ---------------------------------------------------------------------------------------------- attributes
def categorical(rng, probs: np.ndarray) -> np.ndarray:
    """One draw per row of a (rows x categories) probability matrix."""
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    return (rng.random(len(probs))[:, None] > cum).sum(axis=1)


def _county_table(counties: pd.DataFrame) -> pd.DataFrame:
    need = ["fips", "population", "pct_latino", "pct_black", "pct_white_nh"]
    missing = [c for c in need if c not in counties.columns]
    if missing:
        raise SyntheticInputError(f"counties frame: missing column(s) {', '.join(missing)} (needs {need}; "
                                  "data/county-covariates.parquet from stage 'counties').")
    c = counties.copy()
    c["fips"] = c["fips"].astype(str).str.zfill(5)
    if "year" in c.columns:  # one row per county for sampling: the 2010 row if there, else the mean over years
        ref = c[c["year"] == 2010] if (c["year"] == 2010).any() else c
        num = [x for x in ref.columns if x not in ("fips", "year") and pd.api.types.is_numeric_dtype(ref[x])]
        c = ref.groupby("fips", as_index=False)[num].mean()
    return c


def _race_shares(sampled: pd.DataFrame) -> np.ndarray:
    lat, blk, wht = (sampled[c].to_numpy(float) / 100 for c in ("pct_latino", "pct_black", "pct_white_nh"))
    blk = np.clip(blk, 0, None) * np.clip(1 - lat, 0, None)  # Black shares are of all persons; keep non-Latino part
    blk = np.minimum(blk, np.clip(1 - lat - wht, 0, None))
    other = np.clip(1 - lat - blk - wht, 0, None)
    s = np.column_stack([lat, blk, wht, other])  # order of RACE_ETH
    return s / s.sum(axis=1, keepdims=True)


def _households(sk: dict, sampled: pd.DataFrame, shares: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Addresses -> counties (self-weighting allocation); households -> race, income, tenure, years at the address."""
    hh_address = sk["hh_address"]
    H = len(hh_address)
    alloc = sampled["represents"].to_numpy() / sampled["represents"].sum()
    addr_county = rng.choice(len(sampled), size=len(sk["entry"]), p=alloc)
    county = addr_county[hh_address]
    race = categorical(rng, shares[county])
    med = sampled["median_hh_income"].to_numpy(float) if "median_hh_income" in sampled else np.full(len(sampled), 52_000.0)
    med = np.where(np.isfinite(med), med, np.nanmedian(med) if np.isfinite(med).any() else 52_000.0)
    ratio = np.array([INCOME_RATIO[g] for g in RACE_ETH])
    income = np.exp(np.log(med[county] * ratio[race]) + rng.normal(0, 0.85, H))
    bracket = (np.searchsorted(INCOME_EDGES, income, side="right") + 1).astype(np.int8)
    own = sampled["pct_owner"].to_numpy(float) / 100 if "pct_owner" in sampled else np.full(len(sampled), 0.65)
    own = np.clip(np.where(np.isfinite(own), own, 0.65), 0.05, 0.95)
    shift = np.array([OWNER_SHIFT[g] for g in RACE_ETH])
    lo = np.log(own[county] / (1 - own[county])) + shift[race] + 0.15 * (bracket - 10)
    owner = (rng.random(H) < 1 / (1 + np.exp(-lo))).astype(np.int8)
    original = hh_address != np.r_[-1, hh_address[:-1]]  # the household found at the address when it entered
    years0 = np.where(original, np.minimum(rng.exponential(np.where(owner == 1, 13.0, 3.5)), 60.0), rng.uniform(0, 0.5, H))
    return {"county": county, "race": race, "income_bracket": bracket, "homeowner": owner, "years0": years0}


def _persons(sk: dict, household_race: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Persons: race of their household; age at entry, sex, marital status, education, employment."""
    P = len(sk["p_hh"])
    race = household_race[sk["p_hh"]]
    age_mix = np.array([AGE_MIX[g] for g in RACE_ETH])[race]
    adult = sk["p_first"]
    age_mix = np.where(adult[:, None], age_mix * np.array([0, 1, 1, 1, 1, 1.0]), age_mix)
    ag = categorical(rng, age_mix)
    span = np.array(AGE_SPAN)
    age0 = span[ag, 0] + rng.random(P) * (span[ag, 1] - span[ag, 0])
    turned12 = sk["p_joined"] & (rng.random(P) < 0.5)
    age0 = np.where(turned12, 12.0 + rng.random(P) * 0.5, age0)
    ag = np.where(turned12, 0, ag)
    male = rng.random(P) < np.where(ag == 0, 0.51, 0.485)
    marital = categorical(rng, np.array(MARITAL_BY_AGE)[ag])
    edu_adult = np.array([EDUCATION_25PLUS[g] for g in RACE_ETH])[race]
    edu_young = np.tile([0.15, 0.30, 0.45, 0.10], (P, 1))
    edu_p = np.where((ag == 0)[:, None], np.tile([1.0, 0, 0, 0], (P, 1)), np.where((ag == 1)[:, None], edu_young, edu_adult))
    education = categorical(rng, edu_p)
    employed = rng.random(P) < np.array(EMPLOYED_BY_AGE)[ag]
    return {"race": race, "age0": age0, "male": male, "marital": marital, "education": education, "employed": employed}


def _interviews(sk: dict, households: dict, persons: dict, sampled: pd.DataFrame, first_year: int, last_year: int,
                rng: np.random.Generator) -> pd.DataFrame:
    """One row per person-interview, sorted by person then month, with design weights."""
    person, k, month = sk["person"], sk["k"], sk["month"]
    order = np.lexsort((month, person))
    person, k, month = person[order], k[order], month[order]
    hh = sk["p_hh"][person]
    months = pd.period_range(f"{first_year}-01", f"{last_year}-12", freq="M").astype(str).to_numpy()
    df = pd.DataFrame({
        "person_id": (person + 1).astype(np.int64),
        "household_id": (hh + 1).astype(np.int64),
        "county_fips": sampled["fips"].to_numpy(dtype=object)[households["county"][hh]],
        "interview_month": months[month],
        "year": (first_year + month // 12).astype(np.int16),
    })
    df["ref_start"], df["ref_end"] = reference_period(df["interview_month"])
    df["interview_number"] = (k + 1).astype(np.int8)
    elapsed = STEP * (k - sk["p_ks"][person]) / 12.0
    df["age"] = np.floor(persons["age0"][person] + elapsed).astype(np.int16)
    df["sex"] = np.where(persons["male"][person], "male", "female")
    df["race_eth"] = np.asarray(RACE_ETH, dtype=object)[persons["race"][person]]
    df["marital"] = np.asarray(MARITAL, dtype=object)[persons["marital"][person]]
    df["education"] = np.asarray(EDUCATION, dtype=object)[persons["education"][person]]
    df["employed"] = persons["employed"][person].astype(np.int8)
    df["income_bracket"] = households["income_bracket"][hh]
    df["homeowner"] = households["homeowner"][hh]
    df["years_at_address"] = np.round(households["years0"][hh] + STEP * (k - sk["hh_kstart"][hh]) / 12.0, 2)
    # design weights: the sample is self-weighting, so each interview of a half-year stands for the 12+ population
    # the sampled counties represent divided by that half-year's interviews, times a nonresponse/post-stratification
    # adjustment that varies between persons (lognormal, mean 1)
    half = month // 6
    n_half = np.bincount(half)
    population12 = sampled["represents"].sum() * SHARE_12PLUS
    adjustment = rng.lognormal(-0.35 ** 2 / 2, 0.35, len(sk["p_hh"]))[person]
    df["weight"] = population12 / n_half[half] * adjustment
    return conform(df)


def draw_panel(counties: pd.DataFrame, scale: float, rng: np.random.Generator, first_year: int = 2005,
               last_year: int = 2014, design: Design = Design()) -> Panel:
    """The synthetic person-interviews (schema columns without exposure and outcomes) and their sample.

    `counties`: fips, population, pct_latino, pct_black, pct_white_nh (percent) and optional covariates
    (median_hh_income, pct_owner; with a `year` column, the 2010 row is used). Pass the same `rng` on
    to outcomes.draw_outcomes.
    """
    if RACE_ETH != ("latino", "black", "white", "other"):
        raise AssertionError("group order changed")  # _race_shares and the attribute tables assume it
    county_all = _county_table(counties)
    sampled = sample_counties(county_all, design.n_counties, rng)
    sampled = sampled.merge(county_all.drop(columns="population"), on="fips", how="left")
    shares = _race_shares(sampled)
    a_month = addresses_per_month(scale, design)
    sk = _skeleton(a_month, first_year, last_year, design, rng)
    households = _households(sk, sampled, shares, rng)
    persons = _persons(sk, households["race"], rng)
    person_propensity = rng.standard_normal(len(sk["p_hh"]))
    county_propensity = rng.standard_normal(len(sampled))
    interviews = _interviews(sk, households, persons, sampled, first_year, last_year, rng)
    return Panel(interviews, sampled.assign(race_shares=list(shares)), county_propensity, person_propensity,
                 first_year, last_year, design, a_month, planned_counts(scale, first_year, last_year, design))
