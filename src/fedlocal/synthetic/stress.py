"""Features of a synthetic world in which the paper's estimators can fail, calibrated to public numbers.

The canonical synthetic NCVS has parallel trends by construction and no shocks that hit a county in one
year only. Two features break that, each set by one number taken from police-recorded violent crime of
metro areas (FBI Crime in the United States, ``data/msa-crime.csv`` of stage 06, 2005-2014):

* **county x year shocks** (``county_year_sd``): a normal shock on the log odds of victimization shared
  by everyone in a county in a year. Calibrated as the residual SD of metro log violent-crime rates
  around metro and year effects. Part of that spread is counting noise and reporting changes of police
  data, so the value is generous rather than conservative for victimization;
* **a pre-trend** (``pretrend_per_year``): before a county's Secure Communities activation, its log odds
  of victimization move by this much per year towards its level at activation (0 from activation on, 0
  in counties that never activate), so adopting counties trend differently from the others before
  adoption and the parallel-trends assumption of the within estimators fails. Calibrated as the
  coefficient of (years to activation, negative before it, 0 after) in a regression of metro log
  violent-crime rates on metro and year effects and an after-activation indicator.

A third feature, **a time-in-sample decline** (``time_in_sample_per_interview``), lowers the log odds of
reporting a victimization by this much with each interview after the first (panel conditioning, "respondent
fatigue"). Its default is 0: the NCVS methodological papers found (Fay and Li 2010, JSM; Couzens, Berzofsky
and Krebs 2014, JSM) were readable only as abstracts, which report that the effect exists but no size.

Applying metro police-recorded crime to county victimization odds is an assumption: the numbers set
the size of plausible violations, not their exact form. None of these features is in the null or planted
world of the canonical Monte Carlo study; they are the world kinds ``shocks``, ``pretrend`` and ``harder``
(all at once; see ``montecarlo.replicate.study_worlds``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from fedlocal import FedlocalError
from fedlocal.paths import write_atomic

RATE_COLUMN = "log_violent_legacy_free_rate"  # one definition of violent crime across the years (no legacy rape)


def _two_way(frame: pd.DataFrame, extra: list[str]) -> tuple[np.ndarray, np.ndarray, int]:
    """OLS of the log rate on metro and year indicators and ``extra`` columns: (coefficients of extra, residuals, df)."""
    metro = pd.get_dummies(frame["msa_id"], dtype=float).to_numpy()
    year = pd.get_dummies(frame["year"], dtype=float).to_numpy()[:, 1:]
    X = np.column_stack([metro, year, frame[extra].to_numpy(float)]) if extra else np.column_stack([metro, year])
    y = frame[RATE_COLUMN].to_numpy(float)
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    return beta[X.shape[1] - len(extra):], resid, len(y) - np.linalg.matrix_rank(X)


def calibrate(msa: pd.DataFrame, first_year: int = 2005, last_year: int = 2014) -> dict[str, float]:
    """``county_year_sd`` and ``pretrend_per_year`` from the metro crime panel (see the module docstring).

    Metro-years with a rate, in [first_year, last_year], metros with at least 5 such years. A metro's
    activation year is ``sc_adoption_year`` (0: none in the data; such metros have no pre-trend term).
    """
    need = {"msa_id", "year", RATE_COLUMN, "sc_adoption_year"}
    missing = sorted(need - set(msa.columns))
    if missing:
        raise FedlocalError(f"data/msa-crime.csv lacks columns {missing}; rerun stage 'crime' (notebook 06).")
    frame = msa.loc[msa["year"].between(first_year, last_year) & np.isfinite(msa[RATE_COLUMN].astype(float)),
                    ["msa_id", "year", RATE_COLUMN, "sc_adoption_year"]].copy()
    frame = frame.loc[frame.groupby("msa_id")["year"].transform("size") >= 5].reset_index(drop=True)
    if frame["msa_id"].nunique() < 10:
        raise FedlocalError(f"data/msa-crime.csv: fewer than 10 metro areas with 5 years of rates in "
                            f"{first_year}-{last_year}; too few to calibrate the stress worlds.")
    _, resid, df = _two_way(frame, [])
    adoption = frame["sc_adoption_year"].astype(int)
    adopts = adoption > 0
    frame["years_to_activation"] = np.where(adopts, np.minimum(frame["year"] - adoption, 0), 0).astype(float)
    frame["after_activation"] = (adopts & (frame["year"] >= adoption)).astype(float)
    beta, _, _ = _two_way(frame, ["years_to_activation", "after_activation"])
    return {"county_year_sd": float(np.sqrt(resid @ resid / df)), "pretrend_per_year": float(beta[0]),
            "metros": int(frame["msa_id"].nunique()), "metro_years": int(len(frame))}


def county_year_effects(county_fips, year, sd: float, rng: np.random.Generator) -> np.ndarray:
    """One N(0, sd) shock per county x year (in order of first appearance), for each interview."""
    keys = pd.Series(np.asarray(county_fips).astype(str)) + "|" + pd.Series(np.asarray(year).astype(str))
    codes, uniques = pd.factorize(keys)
    return rng.normal(0.0, sd, len(uniques))[codes]


def activation_dates(spells: pd.DataFrame, policy: str = "sc") -> pd.Series:
    """Each county's first start of ``policy`` (a Timestamp per fips)."""
    part = spells.loc[spells["program"] == policy, ["fips", "start"]]
    return pd.to_datetime(part["start"]).groupby(part["fips"].astype(str).str.zfill(5)).min()


def pretrend_effects(county_fips, interview_month, spells: pd.DataFrame, per_year: float,
                     policy: str = "sc") -> np.ndarray:
    """per_year x (years from the interview month to the county's activation, negative before it, 0 after)."""
    fips = pd.Series(np.asarray(county_fips).astype(str))
    start = fips.map(activation_dates(spells, policy))
    month = pd.to_datetime(pd.Series(np.asarray(interview_month).astype(str)), format="%Y-%m")
    years = ((month - start).dt.days / 365.25).to_numpy(dtype=float)
    return per_year * np.where(np.isfinite(years), np.minimum(years, 0.0), 0.0)


def time_in_sample_effects(interview_number, per_interview: float) -> np.ndarray:
    """-per_interview x (interview number - 1): reporting that declines with each interview after the first.

    Entered like the other stressors before the year intercepts are calibrated, so each year's prevalence still
    meets its BJS target while later interviews report less than earlier ones. No published NCVS estimate of the
    size was found in the sources searched (see ``params.py``, ``synthetic_time_in_sample``), so the default is 0.
    """
    n = np.asarray(interview_number, dtype=float)
    if np.any(n < 1):
        raise FedlocalError("interview_number: values below 1; time in sample counts interviews from 1.")
    return -float(per_interview) * (n - 1.0)


def write_calibration(calibration: dict, path: str | Path) -> Path:
    """Save a calibration (``calibrate``'s mapping) as JSON, exactly (floats round-trip), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(calibration, indent=2, sort_keys=True) + "\n")
    return path


def read_calibration(path: str | Path) -> dict:
    """The calibration a committed stress study was drawn with (see ``write_calibration``)."""
    path = Path(path)
    if not path.is_file():
        raise FedlocalError(f"{path} not found: the committed stress study's calibration; set montecarlo_pinned_spells: "
                            "false to calibrate from this run's data/msa-crime.csv (a new study).")
    calibration = json.loads(path.read_text())
    missing = sorted({"county_year_sd", "pretrend_per_year"} - set(calibration))
    if missing:
        raise FedlocalError(f"{path} lacks {missing}; rewrite it with synthetic.stress.write_calibration.")
    return calibration
