"""Who is victimized in the synthetic panel: a logistic model with planted policy effects, calibrated to BJS.

Victimization in a reference period follows a logistic model: a year baseline calibrated so the
weighted prevalence equals the BJS-derived target of that year (see calibration.py), group
gradients raked to the BJS relative rates (sex, race/ethnicity, age, marital status, income),
county and person random intercepts (`county_sd`, `person_sd` times the panel's propensity scores),
county covariates, and planted policy effects: log(odds ratio) per policy x race/ethnicity group
times the exposure. Outcomes are drawn after exposure is linked, so the planted effects act on the
exposure the models will see.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fedlocal import FedlocalError
from fedlocal.data.ncvs.schema import conform
from fedlocal.synthetic import calibration
from fedlocal.synthetic.panel import Panel, SyntheticInputError, categorical
from fedlocal.vocab import POLICIES, RACE_ETH

# County covariates entering the victimization logit, log-odds per standard deviation (used when present)
COUNTY_EFFECTS = {"poverty_rate": 0.10, "unemployment_rate": 0.05, "pct_same_house": -0.05}
PLANTED_COLUMNS = ["policy", "group", "odds_ratio"]


@dataclass
class Outcomes:
    """What the outcomes were drawn from: planted odds ratios, BJS targets, raked gradients, year baselines."""

    planted: pd.DataFrame
    targets: pd.DataFrame
    gradient_coefficients: pd.DataFrame
    year_baselines: dict


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


def write_planted(planted: pd.DataFrame | None, path: str | Path) -> Path:
    """data/ncvs-planted.csv: the planted odds ratios, or only the header when nothing is planted (restricted data)."""
    planted = pd.DataFrame(columns=PLANTED_COLUMNS) if planted is None else planted
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    planted.to_csv(path, index=False, lineterminator="\n")
    return path


def read_planted(path: str | Path, source: str) -> pd.DataFrame | None:
    """Planted odds ratios (policy, group, odds_ratio) for synthetic runs; None for restricted data."""
    if source != "synthetic":
        return None
    if not Path(path).is_file():
        raise FedlocalError(f"{path} not found; the synthetic NCVS stage (notebook 03) writes it.")
    planted = pd.read_csv(path)
    missing = set(PLANTED_COLUMNS) - set(planted.columns)
    if missing:
        raise FedlocalError(f"{path} lacks columns {sorted(missing)}; rerun stage 'ncvs' (notebook 03).")
    return planted


def draw_outcomes(panel: Panel, interviews: pd.DataFrame, counties: pd.DataFrame, rng: np.random.Generator,
                  planted_odds_ratios: dict | None = None, county_sd: float = 0.25,
                  person_sd: float = 0.8, extra_log_odds: np.ndarray | None = None,
                  group_gaps: str = "bjs_2015_2017") -> tuple[pd.DataFrame, Outcomes]:
    """The panel's interviews with `violent` and `violent_count` drawn, in the schema, and what they came from.

    `interviews`: the panel's interviews with exposure columns (one per policy) linked; `counties`: the
    county covariates (fips, optional year, poverty_rate, unemployment_rate, pct_same_house); `rng`: the
    generator that drew the panel. `extra_log_odds`: one more term per interview (e.g. the shocks or
    pre-trends of synthetic/stress.py), added before the gradients are raked, like the county covariates.
    `group_gaps`: the BJS race/ethnicity gaps raked to, 'bjs_2015_2017' (one set, table 8) or 'bjs_by_year'
    (each year's, 2005-2014; see `_rake_gradients`).
    """
    planted = planted_table(planted_odds_ratios)
    missing = [p for p in POLICIES if p not in interviews.columns]
    if missing:
        raise SyntheticInputError(f"interviews: no exposure column(s) {', '.join(missing)}; link exposure before drawing outcomes.")
    df = interviews
    n = len(df)
    county_row = pd.Index(panel.counties["fips"]).get_indexer(df["county_fips"].astype(str))
    person_row = df["person_id"].to_numpy() - 1
    eta = county_sd * panel.county_propensity[county_row] + person_sd * panel.person_propensity[person_row]
    eta = eta + _county_covariate_effect(counties, df)
    if extra_log_odds is not None:
        eta = eta + np.asarray(extra_log_odds, dtype=float)
    log_or = np.log(planted.pivot(index="group", columns="policy", values="odds_ratio").loc[list(RACE_ETH), list(POLICIES)].to_numpy())
    targets = calibration.prevalence_targets(panel.first_year, panel.last_year)
    gradient, coefs = _rake_gradients(df, eta, targets, group_gaps)  # raked before the planted effects, which it must not absorb
    eta = eta + gradient
    race = pd.Index(RACE_ETH).get_indexer(df["race_eth"])
    for j, p in enumerate(POLICIES):
        eta = eta + log_or[race, j] * df[p].to_numpy()
    u = rng.random(n)
    threshold = np.log(u) - np.log1p(-u) - eta  # victim when threshold < year baseline
    baseline = _calibrate_baselines(threshold, df["weight"].to_numpy(), df["year"].to_numpy(), targets)
    victim = threshold < baseline[df["year"].to_numpy() - panel.first_year]
    counts = np.array(list(calibration.VICTIM_COUNT_PROBS))
    probs = np.array(list(calibration.VICTIM_COUNT_PROBS.values()))
    out = df.copy()
    out["violent"] = victim.astype(np.int8)
    out["violent_count"] = np.where(victim, counts[categorical(rng, np.tile(probs, (n, 1)))], 0).astype(np.int16)
    return conform(out), Outcomes(planted, targets, coefs, dict(zip(targets["year"], baseline)))


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


def _rake_gradients(df: pd.DataFrame, eta: np.ndarray, targets: pd.DataFrame, group_gaps: str = "bjs_2015_2017",
                    iterations: int = 8):
    """Log-odds per factor level such that each group's weighted prevalence relative to all matches BJS's relative rate.

    With ``group_gaps="bjs_by_year"`` the race/ethnicity factor has one level per group and year, each matched to
    that year's BJS rate relative to that year's total (the year baselines then set each year's total).
    """
    if group_gaps not in calibration.GROUP_GAPS:
        raise SyntheticInputError(f"synthetic_group_gaps: {group_gaps!r} is not one of {list(calibration.GROUP_GAPS)}.")
    rr = calibration.relative_rates()
    levels = calibration.factor_levels(df)
    w = df["weight"].to_numpy()
    year = df["year"].to_numpy()
    within = {}  # factors whose rate is relative to the interviews of the same year, not to all interviews
    if group_gaps == "bjs_by_year":
        yearly = calibration.race_relative_rates_by_year(int(year.min()), int(year.max()))
        race = levels.pop("race_eth")
        del rr["race_eth"]
        levels["race_eth_by_year"] = np.char.add(np.char.add(race.astype(str), " "), year.astype(str)).astype(object)
        rr["race_eth_by_year"] = {f"{g} {y}": v for y, groups in yearly.items() for g, v in groups.items()}
        within["race_eth_by_year"] = year - year.min()
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
            reference = overall
            if f in within:  # that level's year: every level lies in one year
                by_year = np.bincount(within[f], w * p) / np.bincount(within[f], w)
                reference = np.bincount(code, w * by_year[within[f]], len(labels)) / np.bincount(code, w, len(labels))
            got = np.bincount(code, w * p, len(labels)) / np.bincount(code, w, len(labels)) / reference
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
