"""How much each contested coding choice moves exposure: counties, county-months and person-months per program
under alternative codings (city policies, year-only dates, 287(g) start, SC end), each against the run's own.

Person-months here are county population (2010 census) x months in force, 2005-2014: the NCVS interviews are not
available at stage 01, so this counts the population exposed, not the survey sample. Under
city_policies='population_share' a county-month counts by the share of the county's population in the city.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fedlocal.data.counties import county_frame
from fedlocal.data.policies.panel import build_spells, panel_columns
from fedlocal.vocab import POLICIES

# (label, parameter overrides): each alternative changes one choice of the run's coding.
ALTERNATIVES = (
    ("City policies: whole county", {"city_policies": "county"}),
    ("City policies: population share", {"city_policies": "population_share"}),
    ("City policies: ignored", {"city_policies": "ignore"}),
    ("Year-only dates: 1 January", {"year_only_dates": "january_1"}),
    ("Year-only dates: 1 July", {"year_only_dates": "july_1"}),
    ("Year-only dates: 31 December", {"year_only_dates": "december_31"}),
    ("Year-only dates: dropped", {"year_only_dates": "drop"}),
    ("287(g) start: first operation", {"agreement_start": "operation"}),
    ("287(g) start: signing", {"agreement_start": "signing"}),
    ("SC end: suspension (2014-11-20)", {"sc_end": "suspension"}),
    ("SC end: on through 2014", {"sc_end": "window_end"}),
)
CODING_KEYS = ("sc_end", "tfm_end_by", "city_policies", "antidetainer_bound_date", "year_only_dates", "agreement_start",
               "month_coding")


def exposure_measures(panel: pd.DataFrame) -> pd.DataFrame:
    """Per program (rows in POLICIES order): counties ever on, county-months on and person-months (county
    population 2010 x months; weighted months under population_share)."""
    pop = panel["fips"].map(county_frame().set_index("fips")["pop2010"]).astype(float)
    rows = []
    for p in POLICIES:
        on = panel[p].astype(float)
        rows.append({"program": p, "counties": int(panel.loc[on > 0, "fips"].nunique()),
                     "county_months": float(on.sum()), "person_months": float((on * pop).sum())})
    return pd.DataFrame(rows)


def _coding_measures(spells: pd.DataFrame, month_coding: str) -> pd.DataFrame:
    """exposure_measures of build_panel(spells, month_coding), from the panel's columns alone (panel_columns): the
    same sums over the same cells in the same order, without the frame's fips and month text."""
    fips, per, columns = panel_columns(spells, month_coding=month_coding)
    pop = np.repeat(pd.Series(fips).map(county_frame().set_index("fips")["pop2010"]).astype(float).to_numpy(), len(per))
    pop = pd.Series(pop)
    rows = []
    for p in POLICIES:
        on = pd.Series(columns[p]).astype(float)
        ever = (on.to_numpy() > 0).reshape(len(fips), len(per)).any(axis=1)
        rows.append({"program": p, "counties": int(len(set(np.asarray(fips, dtype=object)[ever]))),
                     "county_months": float(on.sum()), "person_months": float((on * pop).sum())})
    return pd.DataFrame(rows)


def coding_sensitivity(coding: dict, alternatives=ALTERNATIVES) -> pd.DataFrame:
    """Exposure per program under the run's coding (`coding`: the stage's policy parameters) and under every
    alternative that differs from it: coding, change ('' for the run's own), program, counties, county_months,
    person_months, and person_months_change (relative to the run's coding)."""
    base = {k: coding[k] for k in CODING_KEYS if k in coding}
    runs = [("This run's coding", "", base)]
    for label, overrides in alternatives:
        if any(base.get(k) != v for k, v in overrides.items()):
            runs.append((label, ", ".join(f"{k}={v}" for k, v in overrides.items()), {**base, **overrides}))
    frames = []
    for label, change, params in runs:
        spells = build_spells(**params)
        measures = _coding_measures(spells, params.get("month_coding", "majority"))
        frames.append(measures.assign(coding=label, change=change))
    out = pd.concat(frames, ignore_index=True)
    reference = out[out["change"] == ""].set_index("program")["person_months"]
    out["person_months_change"] = out["person_months"] / out["program"].map(reference) - 1
    return out[["coding", "change", "program", "counties", "county_months", "person_months", "person_months_change"]]
