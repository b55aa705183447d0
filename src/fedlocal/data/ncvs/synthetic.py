"""A synthetic NCVS person-interview panel that mirrors how the survey is collected (the default source).

The real county-identified file is restricted, so the default run simulates one, labelled synthetic
everywhere it appears. What is real: the counties and their populations and composition, the
county covariates, the policy timeline, the BJS national victimization series and group rates.
What is simulated: which counties and addresses are sampled, who lives there, and who is victimized.

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

Victimization in a reference period follows a logistic model: a year baseline calibrated so the
weighted prevalence equals the BJS-derived target of that year (see calibration.py), group
gradients raked to the BJS relative rates (sex, race/ethnicity, age, marital status, income),
county and person random intercepts (`county_sd`, `person_sd`), county covariates, and planted
policy effects: log(odds ratio) per policy x race/ethnicity group times the exposure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from fedlocal import FedlocalError
from fedlocal.data.ncvs import calibration
from fedlocal.data.ncvs.schema import conform
from fedlocal.exposure.interviews import link_exposure, reference_period
from fedlocal.vocab import POLICIES, RACE_ETH

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
# County covariates entering the victimization logit, log-odds per standard deviation (used when present)
COUNTY_EFFECTS = {"poverty_rate": 0.10, "unemployment_rate": 0.05, "pct_same_house": -0.05}


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
def _categorical(rng, probs: np.ndarray) -> np.ndarray:
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


def generate(counties: pd.DataFrame, spells: pd.DataFrame, scale: float = 1.0, seed: int = 20230417,
             exposure_rule: str = "any", planted_odds_ratios: dict | None = None, county_sd: float = 0.25,
             person_sd: float = 0.8, first_year: int = 2005, last_year: int = 2014,
             design: Design = Design()) -> tuple[pd.DataFrame, dict]:
    """The synthetic person-interview frame (schema + exposure columns) and what it was built from.

    `counties`: fips, population, pct_latino, pct_black, pct_white_nh (percent) and optional covariates
    (median_hh_income, pct_owner, poverty_rate, unemployment_rate, pct_same_house; with a `year`
    column they vary by year). `spells`: fips, program, start, end (policy spells).
    """
    if RACE_ETH != ("latino", "black", "white", "other"):
        raise AssertionError("group order changed")
    planted = planted_table(planted_odds_ratios)
    rng = np.random.default_rng(seed)
    county_all = _county_table(counties)
    sampled = sample_counties(county_all, design.n_counties, rng)
    sampled = sampled.merge(county_all.drop(columns="population"), on="fips", how="left")
    shares = _race_shares(sampled)

    a_month = addresses_per_month(scale, design)
    sk = _skeleton(a_month, first_year, last_year, design, rng)
    entry, hh_address, p_hh = sk["entry"], sk["hh_address"], sk["p_hh"]
    n_addr, H, P = len(entry), len(hh_address), len(p_hh)

    # addresses -> counties (self-weighting allocation); households -> race, income, tenure, residence
    alloc = sampled["represents"].to_numpy() / sampled["represents"].sum()
    addr_county = rng.choice(len(sampled), size=n_addr, p=alloc)
    hh_county = addr_county[hh_address]
    hh_race = _categorical(rng, shares[hh_county])
    med = sampled["median_hh_income"].to_numpy(float) if "median_hh_income" in sampled else np.full(len(sampled), 52_000.0)
    med = np.where(np.isfinite(med), med, np.nanmedian(med) if np.isfinite(med).any() else 52_000.0)
    ratio = np.array([INCOME_RATIO[g] for g in RACE_ETH])
    income = np.exp(np.log(med[hh_county] * ratio[hh_race]) + rng.normal(0, 0.85, H))
    hh_income = (np.searchsorted(INCOME_EDGES, income, side="right") + 1).astype(np.int8)
    own = sampled["pct_owner"].to_numpy(float) / 100 if "pct_owner" in sampled else np.full(len(sampled), 0.65)
    own = np.clip(np.where(np.isfinite(own), own, 0.65), 0.05, 0.95)
    shift = np.array([OWNER_SHIFT[g] for g in RACE_ETH])
    lo = np.log(own[hh_county] / (1 - own[hh_county])) + shift[hh_race] + 0.15 * (hh_income - 10)
    hh_owner = (rng.random(H) < 1 / (1 + np.exp(-lo))).astype(np.int8)
    original = hh_address != np.r_[-1, hh_address[:-1]]  # the household found at the address when it entered
    yrs0 = np.where(original, np.minimum(rng.exponential(np.where(hh_owner == 1, 13.0, 3.5)), 60.0), rng.uniform(0, 0.5, H))

    # persons: race of their household; age, sex, marital, education, employment
    p_race = hh_race[p_hh]
    age_mix = np.array([AGE_MIX[g] for g in RACE_ETH])[p_race]
    adult = sk["p_first"]
    age_mix = np.where(adult[:, None], age_mix * np.array([0, 1, 1, 1, 1, 1.0]), age_mix)
    ag = _categorical(rng, age_mix)
    span = np.array(AGE_SPAN)
    age0 = span[ag, 0] + rng.random(P) * (span[ag, 1] - span[ag, 0])
    turned12 = sk["p_joined"] & (rng.random(P) < 0.5)
    age0 = np.where(turned12, 12.0 + rng.random(P) * 0.5, age0)
    ag = np.where(turned12, 0, ag)
    male = rng.random(P) < np.where(ag == 0, 0.51, 0.485)
    marital = _categorical(rng, np.array(MARITAL_BY_AGE)[ag])
    edu_adult = np.array([EDUCATION_25PLUS[g] for g in RACE_ETH])[p_race]
    edu_young = np.tile([0.15, 0.30, 0.45, 0.10], (P, 1))
    edu_p = np.where((ag == 0)[:, None], np.tile([1.0, 0, 0, 0], (P, 1)), np.where((ag == 1)[:, None], edu_young, edu_adult))
    education = _categorical(rng, edu_p)
    employed = rng.random(P) < np.array(EMPLOYED_BY_AGE)[ag]
    person_effect = rng.normal(0, person_sd, P)
    county_effect = rng.normal(0, county_sd, len(sampled))

    # the interviews
    person, k, month = sk["person"], sk["k"], sk["month"]
    order = np.lexsort((month, person))
    person, k, month = person[order], k[order], month[order]
    hh = p_hh[person]
    months = pd.period_range(f"{first_year}-01", f"{last_year}-12", freq="M").astype(str).to_numpy()
    n = len(person)
    df = pd.DataFrame({
        "person_id": (person + 1).astype(np.int64),
        "household_id": (hh + 1).astype(np.int64),
        "county_fips": sampled["fips"].to_numpy(dtype=object)[hh_county[hh]],
        "interview_month": months[month],
        "year": (first_year + month // 12).astype(np.int16),
    })
    df["ref_start"], df["ref_end"] = reference_period(df["interview_month"])
    df["interview_number"] = (k + 1).astype(np.int8)
    elapsed = STEP * (k - sk["p_ks"][person]) / 12.0
    df["age"] = np.floor(age0[person] + elapsed).astype(np.int16)
    df["sex"] = np.where(male[person], "male", "female")
    df["race_eth"] = np.asarray(RACE_ETH, dtype=object)[p_race[person]]
    df["marital"] = np.asarray(MARITAL, dtype=object)[marital[person]]
    df["education"] = np.asarray(EDUCATION, dtype=object)[education[person]]
    df["employed"] = employed[person].astype(np.int8)
    df["income_bracket"] = hh_income[hh]
    df["homeowner"] = hh_owner[hh]
    df["years_at_address"] = np.round(yrs0[hh] + STEP * (k - sk["hh_kstart"][hh]) / 12.0, 2)

    # design weights: the sample is self-weighting, so each interview of a half-year stands for the 12+ population
    # the sampled counties represent divided by that half-year's interviews, times a nonresponse/post-stratification
    # adjustment that varies between persons (lognormal, mean 1)
    half = month // 6
    n_half = np.bincount(half)
    population12 = sampled["represents"].sum() * SHARE_12PLUS
    adjustment = rng.lognormal(-0.35 ** 2 / 2, 0.35, P)[person]
    df["weight"] = population12 / n_half[half] * adjustment

    # exposure (the same code links the restricted file)
    expo = link_exposure(df, spells, exposure_rule)
    for p in POLICIES:
        df[p] = expo[p].to_numpy()

    # victimization
    eta = county_effect[hh_county[hh]] + person_effect[person]
    eta = eta + _county_covariate_effect(counties, df)
    log_or = np.log(planted.pivot(index="group", columns="policy", values="odds_ratio").loc[list(RACE_ETH), list(POLICIES)].to_numpy())
    targets = calibration.prevalence_targets(first_year, last_year)
    gradient, coefs = _rake_gradients(df, eta, targets)  # raked before the planted effects, which it must not absorb
    eta = eta + gradient
    race_i = p_race[person]
    for j, p in enumerate(POLICIES):
        eta = eta + log_or[race_i, j] * df[p].to_numpy()
    u = rng.random(n)
    threshold = np.log(u) - np.log1p(-u) - eta  # victim when threshold < year baseline
    baseline = _calibrate_baselines(threshold, df["weight"].to_numpy(), df["year"].to_numpy(), targets)
    victim = threshold < baseline[df["year"].to_numpy() - first_year]
    counts = np.array(list(calibration.VICTIM_COUNT_PROBS))
    probs = np.array(list(calibration.VICTIM_COUNT_PROBS.values()))
    df["violent"] = victim.astype(np.int8)
    df["violent_count"] = np.where(victim, counts[_categorical(rng, np.tile(probs, (n, 1)))], 0).astype(np.int16)

    info = {"sampled_counties": sampled.assign(race_shares=list(shares)), "design": asdict(design),
            "addresses_per_month": a_month, "planned": planned_counts(scale, first_year, last_year, design),
            "targets": targets, "planted": planted, "gradient_coefficients": coefs,
            "year_baselines": dict(zip(targets["year"], baseline))}
    return conform(df), info


def _county_covariate_effect(counties: pd.DataFrame, df: pd.DataFrame) -> np.ndarray:
    """Sum of COUNTY_EFFECTS x standardised covariate for each interview (by year when the frame has years)."""
    cols = [c for c in COUNTY_EFFECTS if c in counties.columns]
    if not cols:
        return np.zeros(len(df))
    c = counties[["fips"] + (["year"] if "year" in counties.columns else []) + cols].copy()
    c["fips"] = c["fips"].astype(str).str.zfill(5)
    for col in cols:
        v = c[col].astype(float)
        c[col] = ((v - v.mean()) / (v.std() or 1.0)).fillna(0.0) * COUNTY_EFFECTS[col]
    c["effect"] = c[cols].sum(axis=1)
    keys = ["fips", "year"] if "year" in c.columns else ["fips"]
    left = pd.DataFrame({"fips": df["county_fips"].to_numpy(), "year": df["year"].to_numpy()})
    merged = left.merge(c[keys + ["effect"]], on=keys, how="left")
    return merged["effect"].fillna(0.0).to_numpy()


def _rake_gradients(df: pd.DataFrame, eta: np.ndarray, targets: pd.DataFrame, iterations: int = 8):
    """Log-odds per factor level such that each group's weighted prevalence relative to all matches BJS's relative rate."""
    rr = calibration.relative_rates()
    levels = calibration.factor_levels(df)
    w = df["weight"].to_numpy()
    mean_target = float(targets["target_prevalence"].mean())
    codes = {f: pd.factorize(levels[f]) for f in rr}
    beta = {f: np.zeros(len(codes[f][1])) for f in rr}
    base = np.log(mean_target / (1 - mean_target))
    for _ in range(iterations):
        g = sum(beta[f][codes[f][0]] for f in rr)
        p = 1 / (1 + np.exp(-(base + eta + g)))
        overall = np.sum(w * p) / w.sum()
        base += np.log(mean_target / overall)
        for f in rr:
            code, labels = codes[f]
            got = np.bincount(code, w * p, len(labels)) / np.bincount(code, w, len(labels)) / overall
            want = np.array([rr[f][lab] for lab in labels])
            beta[f] += np.log(want / got)
    g = sum(beta[f][codes[f][0]] for f in rr)
    coefs = pd.DataFrame([{"factor": f, "level": lab, "log_odds": beta[f][i], "bjs_relative_rate": rr[f][lab]}
                          for f in rr for i, lab in enumerate(codes[f][1])])
    return g, coefs.sort_values(["factor", "level"]).reset_index(drop=True)


def _calibrate_baselines(threshold: np.ndarray, w: np.ndarray, year: np.ndarray, targets: pd.DataFrame) -> np.ndarray:
    """Year intercepts that give each year's drawn sample exactly its target weighted prevalence.

    With the uniform draws fixed (victim iff logit(u) - eta < intercept), the weighted prevalence is a
    step function of the intercept; the intercept is set midway across the step that reaches the target.
    """
    out = np.empty(len(targets))
    for i, (y, target) in enumerate(zip(targets["year"], targets["target_prevalence"])):
        sel = year == y
        if not sel.any():
            out[i] = np.nan
            continue
        t, ww = threshold[sel], w[sel]
        order = np.argsort(t)
        cum = np.cumsum(ww[order]) / ww.sum()
        j = int(np.searchsorted(cum, target))  # victims 0..j reach the target; 0..j-1 stay just below it
        if j > 0 and target - cum[j - 1] < cum[min(j, len(cum) - 1)] - target:
            j -= 1  # fewer victims is closer
        ts = np.r_[t[order], t.max() + 2.0]
        out[i] = (ts[j] + ts[j + 1]) / 2
    return out


def planted_table(planted_odds_ratios: dict | None) -> pd.DataFrame:
    """policy, group, odds_ratio for every policy x group (1.0 where nothing is planted)."""
    planted_odds_ratios = planted_odds_ratios or {}
    rows = []
    for p in POLICIES:
        given = planted_odds_ratios.get(p, {}) or {}
        unknown = set(given) - set(RACE_ETH)
        if unknown:
            raise SyntheticInputError(f"planted_odds_ratios.{p}: unknown group(s) {sorted(unknown)}; groups are {RACE_ETH}.")
        for g in RACE_ETH:
            rows.append({"policy": p, "group": g, "odds_ratio": float(given.get(g, 1.0))})
    unknown = set(planted_odds_ratios) - set(POLICIES)
    if unknown:
        raise SyntheticInputError(f"planted_odds_ratios: unknown policy(ies) {sorted(unknown)}; policies are {POLICIES}.")
    return pd.DataFrame(rows)


def calibration_checks(df: pd.DataFrame, info: dict, scale: float) -> pd.DataFrame:
    """check, target, value, relative or absolute gap, tolerance, met: the synthetic panel against its targets."""
    rows = []
    planned = info["planned"]
    full_window = (int(df["year"].min()), int(df["year"].max())) == PAPER_WINDOW
    for what, paper, got, plan in (("persons", PAPER_PERSONS, df["person_id"].nunique(), planned["persons"]),
                                   ("interviews", PAPER_INTERVIEWS, len(df), planned["interviews"])):
        target = paper * scale if full_window else plan
        rows.append({"check": f"{what} (scale {scale:g})", "target": target, "value": float(got),
                     "gap": got / target - 1, "tolerance": 0.05, "kind": "relative"})
    per_person = len(df) / df["person_id"].nunique()
    rows.append({"check": "interviews per person", "target": PAPER_INTERVIEWS / PAPER_PERSONS, "value": per_person,
                 "gap": per_person / (PAPER_INTERVIEWS / PAPER_PERSONS) - 1, "tolerance": 0.05, "kind": "relative"})
    prev = calibration.weighted_prevalence(df, "year")
    for t in info["targets"].itertuples():
        if t.year in prev.index:
            rows.append({"check": f"weighted prevalence {t.year}" + ("" if t.comparable else " (interpolated target)"),
                         "target": t.target_prevalence, "value": prev[t.year], "gap": prev[t.year] / t.target_prevalence - 1,
                         "tolerance": 0.05, "kind": "relative"})
    s = info["sampled_counties"]
    share_target = (np.stack(s["race_shares"].to_numpy()) * s["represents"].to_numpy()[:, None]).sum(axis=0) / s["represents"].sum()
    w = df["weight"].to_numpy()
    for j, g in enumerate(RACE_ETH):
        got = w[df["race_eth"].to_numpy() == g].sum() / w.sum()
        rows.append({"check": f"share {g} (weighted)", "target": share_target[j], "value": got,
                     "gap": got - share_target[j], "tolerance": 0.01, "kind": "absolute"})
    out = pd.DataFrame(rows)
    out["met"] = out["gap"].abs() <= out["tolerance"]
    return out


def interviews_per_person(df: pd.DataFrame) -> pd.DataFrame:
    """Distribution of the number of interviews per person (share of persons with 1..7)."""
    n = df.groupby("person_id").size()
    dist = n.value_counts().sort_index()
    return pd.DataFrame({"interviews": dist.index.astype(int), "persons": dist.to_numpy(), "share": (dist / dist.sum()).to_numpy()})
