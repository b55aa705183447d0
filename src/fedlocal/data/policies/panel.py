"""All programs' spells in one table, the county x month panel 2005-01..2014-12, and what it covers."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from fedlocal.data.counties import county_frame
from fedlocal.data.policies.antidetainer import antidetainer_spells
from fedlocal.data.policies.g287 import g287_spells
from fedlocal.data.policies.sc import sc_spells
from fedlocal.data.policies.spells import SPELL_COLUMNS, PolicyError, check_option, days_in_force, normalise_spells
from fedlocal.vocab import AGREEMENT_STARTS, BOUND_DATES, CITY_POLICIES, MONTH_CODINGS, POLICIES, SC_ENDS, YEAR_ONLY_DATES

FIRST_MONTH, LAST_MONTH = "2005-01", "2014-12"


def build_spells(sc_end: str = "window_end", tfm_end_by: str = "2012-12-31", city_policies: str = "ignore",
                 antidetainer_bound_date: str = "in_place_by", year_only_dates: str = "july_1",
                 agreement_start: str = "signing", month_coding: str = "majority",
                 statewide_287g: bool = False) -> pd.DataFrame:
    """All programs' spells, sorted by program, county and start (the data/policy-spells.csv table).
    month_coding only dates the Secure Communities activations known to the month (sc.month_only_start)."""
    check_option("sc_end", sc_end, SC_ENDS)
    check_option("antidetainer_bound_date", antidetainer_bound_date, BOUND_DATES)
    check_option("city_policies", city_policies, CITY_POLICIES)
    check_option("year_only_dates", year_only_dates, YEAR_ONLY_DATES)
    check_option("agreement_start", agreement_start, AGREEMENT_STARTS)
    check_option("month_coding", month_coding, MONTH_CODINGS)
    try:
        pd.Timestamp(tfm_end_by)
    except ValueError:
        raise PolicyError(f"policy coding: tfm_end_by={tfm_end_by!r} is not a date YYYY-MM-DD.") from None
    parts = [_sc_part(sc_end, month_coding), _g287_part(tfm_end_by, statewide_287g, city_policies, agreement_start),
             _antidetainer_part(city_policies, antidetainer_bound_date, year_only_dates)]
    s = pd.concat(parts, ignore_index=True)
    s["program"] = pd.Categorical(s["program"], POLICIES)
    s = s.sort_values(["program", "fips", "start"]).reset_index(drop=True)
    s["program"] = s["program"].astype(str)
    return s[SPELL_COLUMNS]


# Each program's spells depend on a few of the coding choices only, and the codings a process builds (stage 01's run
# and its coding-sensitivity alternatives, each changing one choice) share most parts: each part is built once per
# process for its own choices. build_spells concatenates (copies) them, so the cached frames are never modified.
@lru_cache(maxsize=8)
def _sc_part(sc_end: str, month_coding: str) -> pd.DataFrame:
    return sc_spells(sc_end, month_coding)


@lru_cache(maxsize=8)
def _g287_part(tfm_end_by: str, statewide_287g: bool, city_policies: str, agreement_start: str) -> pd.DataFrame:
    return g287_spells(tfm_end_by, statewide_287g, city_policies=city_policies, agreement_start=agreement_start)


@lru_cache(maxsize=8)
def _antidetainer_part(city_policies: str, antidetainer_bound_date: str, year_only_dates: str) -> pd.DataFrame:
    return antidetainer_spells(city_policies, antidetainer_bound_date, year_only_dates)


def months(first: str = FIRST_MONTH, last: str = LAST_MONTH) -> pd.PeriodIndex:
    return pd.period_range(first, last, freq="M")


def build_panel(spells: pd.DataFrame, month_coding: str = "majority", fips=None,
                first: str = FIRST_MONTH, last: str = LAST_MONTH) -> pd.DataFrame:
    """County x month panel (fips, month 'YYYY-MM', one int8 column per program) for every county of the frame.

    A month counts as on under 'any_day' if a spell covers any of its days, 'majority' if at least half of
    them, 'full_month' if all of them. Spells weighted below 1 (city_policies='population_share') make the
    program's column a float: the month's on/off times the average weight over its days in force.
    """
    fips, per, columns = panel_columns(spells, month_coding, fips, first, last)
    cells = pd.DataFrame({"fips": np.repeat(np.array(fips, dtype=object), len(per)),
                          "month": np.tile(per.strftime("%Y-%m").to_numpy(dtype=object), len(fips))})
    for program in POLICIES:
        cells[program] = columns[program]
    return cells


def panel_columns(spells: pd.DataFrame, month_coding: str = "majority", fips=None,
                  first: str = FIRST_MONTH, last: str = LAST_MONTH) -> tuple[list, pd.PeriodIndex, dict]:
    """The panel's program columns without the frame: (fips, months, {program: array}), the cells county by county
    and, within a county, month by month (build_panel's row order). For callers that only sum the columns (stage 01's
    coding-sensitivity table, eight codings): the fips and month text columns cost more than the days."""
    check_option("month_coding", month_coding, MONTH_CODINGS)
    fips = list(county_frame()["fips"]) if fips is None else list(fips)
    per = months(first, last)
    month_days = per.days_in_month.to_numpy()
    cell_fips = np.repeat(np.array(fips, dtype=object), len(per))
    first_day = np.tile(per.start_time.to_numpy("datetime64[D]"), len(fips))
    last_day = np.tile(per.end_time.to_numpy("datetime64[D]"), len(fips))
    spells_whole = spells.drop(columns="weight", errors="ignore")
    days = days_in_force(normalise_spells(spells_whole), cell_fips, first_day, last_day)
    weighted = "weight" in spells.columns and (pd.to_numeric(spells["weight"], errors="coerce").fillna(1.0) < 1).any()
    cell_days = np.tile(month_days, len(fips))[:, None]
    if month_coding == "any_day":
        on = days > 0
    elif month_coding == "majority":
        on = 2 * days >= cell_days
    else:
        on = days == cell_days
    if weighted:
        wdays = days_in_force(normalise_spells(spells), cell_fips, first_day, last_day)
        share = np.divide(wdays, days, out=np.zeros_like(wdays, dtype=float), where=days > 0)
        return fips, per, {program: (on[:, j] * share[:, j]).astype(np.float32) for j, program in enumerate(POLICIES)}
    return fips, per, {program: on[:, j].astype(np.int8) for j, program in enumerate(POLICIES)}


def spell_counts(spells: pd.DataFrame) -> pd.DataFrame:
    """Per program (index, in POLICIES order): number of spells and of counties with any spell."""
    return spells.groupby("program").agg(spells=("fips", "size"), counties=("fips", "nunique")).reindex(list(POLICIES))


def program_starts(spells: pd.DataFrame, program: str) -> pd.Series:
    """First start date ('YYYY-MM-DD') of `program` per county (index fips)."""
    s = spells[spells["program"] == program]
    return s.groupby("fips")["start"].min()


def first_full_month(panel: pd.DataFrame, program: str) -> str | float:
    """First month ('YYYY-MM') in which `program` is on in every county of the panel (NaN if none)."""
    share = panel.groupby("month")[program].mean()
    return share[share == 1].index.min()


def counties_on(panel: pd.DataFrame, program: str, month: str, fips=None) -> int:
    """Number of counties (of `fips`, default all) with `program` on in `month`."""
    rows = panel[panel["month"] == month]
    if fips is not None:
        rows = rows[rows["fips"].isin(list(fips))]
    return int(rows[program].sum())


def peak_month(panel: pd.DataFrame, programs) -> tuple[str, int]:
    """The month in which most counties had any of `programs` on, and how many (first such month on ties)."""
    on = panel[list(programs)].max(axis=1)
    per_month = on.groupby(panel["month"]).sum()
    return per_month.idxmax(), int(per_month.max())


def coverage_by_month(panel: pd.DataFrame) -> pd.DataFrame:
    """Share of the 2010 population living in a covered county, per program and month."""
    pop = county_frame().set_index("fips")["pop2010"]
    p = panel.assign(pop=panel["fips"].map(pop).to_numpy())
    total = pop.sum()
    return pd.DataFrame({prog: p["pop"].where(p[prog] == 1, 0).groupby(p["month"]).sum() / total for prog in POLICIES})


def coverage_by_year(panel: pd.DataFrame) -> pd.DataFrame:
    """Per program and year: counties on in December, counties on in any month, population share in December."""
    pop = county_frame().set_index("fips")["pop2010"]
    p = panel.assign(year=panel["month"].str[:4].astype(int), pop=panel["fips"].map(pop).to_numpy())
    rows = []
    for prog in POLICIES:
        for y, g in p.groupby("year"):
            dec = g[g["month"] == f"{y}-12"]
            rows.append({"program": prog, "year": int(y), "counties_december": int(dec[prog].sum()),
                         "counties_any_month": int(g.loc[g[prog] == 1, "fips"].nunique()),
                         "population_december": int(dec.loc[dec[prog] == 1, "pop"].sum()),
                         "population_share_december": float(dec.loc[dec[prog] == 1, "pop"].sum() / pop.sum())})
    return pd.DataFrame(rows)
