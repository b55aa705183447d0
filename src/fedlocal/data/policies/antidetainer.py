"""Anti-detainer policies: the policy events compiled for this project (data/curated/), dated and mapped to
counties, and one open spell per county from its earliest counted event."""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from fedlocal import registry
from fedlocal.data.counties import county_frame
from fedlocal.data.policies.cities import city_weight
from fedlocal.data.policies.spells import SPELL_COLUMNS, check_option, iso_date
from fedlocal.vocab import BOUND_DATES, CITY_POLICIES, YEAR_ONLY_DATES

ANTI_DETAINER = "curated/anti_detainer_policies.csv"  # data/curated/ in the repository
JAIL_RUNNING_CITIES = {"New York City": "the city's Department of Correction runs the jails of all five counties"}
# City policies that do not govern the county jail: the city (city_populations.csv) each jurisdiction stands for.
CITY_POLICIES_BY_JURISDICTION = {"Chicago": "Chicago", "Los Angeles Police Department": "Los Angeles",
                                 "Berkeley": "Berkeley", "Newark": "Newark", "Springfield Police Department": "Springfield",
                                 "Cle Elum": "Cle Elum", "Aurora": "Aurora", "Boston": "Boston", "Somerville": "Somerville"}


@lru_cache(maxsize=1)
def anti_detainer_raw() -> pd.DataFrame:
    return pd.read_csv(registry.fetch(ANTI_DETAINER), dtype=str, keep_default_na=False)


def _period_bounds(text: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last day of a YYYY, YYYY-MM or YYYY-MM-DD date."""
    text = str(text).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        d = pd.Timestamp(text)
        return d, d
    if re.fullmatch(r"\d{4}-\d{2}", text):
        d = pd.Timestamp(text + "-01")
        return d, d + pd.offsets.MonthEnd(0)
    if re.fullmatch(r"\d{4}", text):
        return pd.Timestamp(text + "-01-01"), pd.Timestamp(text + "-12-31")
    return None


def date_used(best_date: str, precision: str, not_before: str, in_place_by: str, antidetainer_bound_date: str,
              year_only_dates: str) -> pd.Timestamp | None:
    """The day the panel uses for one event, inside the window the sources allow: [period start or not_before,
    period end or in_place_by]. A day is itself. A year-only date follows year_only_dates ('july_1', 'january_1',
    'december_31': that day moved into the window; 'drop': not dated). A month or an upper bound follows
    antidetainer_bound_date ('in_place_by': the window's last day; 'midpoint': its middle)."""
    bounds = _period_bounds(best_date) if best_date else None
    if bounds is None:
        return None
    lo, hi = bounds
    if precision == "bound":
        lo = pd.Timestamp(not_before) if not_before else hi
    elif not_before and pd.Timestamp(not_before) > lo:
        lo = pd.Timestamp(not_before)
    if in_place_by and pd.Timestamp(in_place_by) < hi:
        hi = max(lo, pd.Timestamp(in_place_by))
    if precision == "year":
        if year_only_dates == "drop":
            return None
        target = {"july_1": pd.Timestamp(f"{lo.year}-07-01"), "january_1": lo, "december_31": hi}[year_only_dates]
        return min(max(target, lo), hi)
    used = hi if antidetainer_bound_date == "in_place_by" else lo + (hi - lo) / 2
    return pd.Timestamp(used.date())


def _counted_events(city_policies: str, antidetainer_bound_date: str, year_only_dates: str) -> pd.DataFrame:
    """Every policy event with the date the panel uses (date_used) and the counties it switches on with their
    weights. A state row switches every county of its state. A city policy that does not govern the county jail
    counts by city_policies (cities.city_weight); New York City runs its five county jails, so its laws count
    fully. A policy the jail is documented not to have applied (implemented_by_jail = no: Milwaukee 2012) counts
    nowhere. Events without any date are kept with an empty date and switch nothing."""
    check_option("antidetainer_bound_date", antidetainer_bound_date, BOUND_DATES)
    check_option("city_policies", city_policies, CITY_POLICIES)
    check_option("year_only_dates", year_only_dates, YEAR_ONLY_DATES)
    a = anti_detainer_raw()
    frame = county_frame()
    out = []
    for r in a.itertuples():
        precision = {"effective_day": "day", "adopted_day": "day", "adopted_month": "month", "adopted_year": "year",
                     "in_place_by_upper_bound": "bound", "none": "none"}.get(r.best_date_basis, r.best_date_basis)
        used = date_used(r.best_date, precision, r.not_before, r.in_place_by, antidetainer_bound_date, year_only_dates)
        if r.level == "state":
            counties = list(frame.loc[frame["state"] == r.state, "fips"])
        else:
            counties = list(dict.fromkeys(c.strip() for c in r.county_fips.split(";") if c.strip()))
        jail_city = next((c for c in JAIL_RUNNING_CITIES if r.jurisdiction.startswith(c)), None)
        governs_jail = r.city_policy != "1" or jail_city is not None
        city = None if governs_jail else next((c for j, c in CITY_POLICIES_BY_JURISDICTION.items() if r.jurisdiction.startswith(j)), None)
        if not governs_jail and city is None:
            raise ValueError(f"{ANTI_DETAINER}: city policy {r.row_id} ({r.jurisdiction}) has no city in "
                             "antidetainer.CITY_POLICIES_BY_JURISDICTION; add it (and to city_populations.csv).")
        implemented = not r.implemented_by_jail.startswith("no")
        weights = {f: 1.0 if governs_jail else city_weight(city, f, city_policies) for f in counties}
        switched = [(f, w) for f, w in weights.items() if w > 0] if used is not None and implemented else []
        out.append({
            "row_id": r.row_id, "jurisdiction": r.jurisdiction, "state": r.state,
            "county_fips": ";".join(sorted(counties)) if r.level != "state" else "",
            "level": r.level, "city_policy": int(r.city_policy), "governs_county_jail": int(governs_jail),
            "implemented_by_jail": r.implemented_by_jail,
            "policy_type": r.policy_type, "event_kind": r.event_kind, "scope_code": r.scope_code,
            "date_adopted": r.date_adopted, "date_adopted_precision": r.date_adopted_precision,
            "date_effective": r.date_effective, "in_place_by": r.in_place_by, "not_before": r.not_before,
            "best_date": r.best_date, "best_date_basis": r.best_date_basis,
            "date_used": iso_date(used), "precision": precision, "switches_counties": len(switched),
            "weight": max((w for _, w in switched), default=0.0),
            "confidence": r.confidence, "primary_source_url": r.primary_source_url, "sources": r.sources,
            "counties_switched": switched,
        })
    return pd.DataFrame(out)


def anti_detainer_events(city_policies: str = "ignore", antidetainer_bound_date: str = "in_place_by",
                         year_only_dates: str = "july_1") -> pd.DataFrame:
    """The events table of data/anti-detainer-events.csv: every event, its date used (see _counted_events) and
    how many counties it switches on."""
    return _counted_events(city_policies, antidetainer_bound_date, year_only_dates).drop(columns="counties_switched")


def antidetainer_spells(city_policies: str = "ignore", antidetainer_bound_date: str = "in_place_by",
                        year_only_dates: str = "july_1") -> pd.DataFrame:
    """One open spell per county from its earliest counted whole-county event (own policy or state law); nothing
    in the sources repeals a policy before 2015, and amendments (stricter or looser) do not switch a county off.
    Under city_policies='population_share' a city's earliest policy before that adds an open spell weighted by
    its population share."""
    events = _counted_events(city_policies, antidetainer_bound_date, year_only_dates)
    rule = (f"antidetainer:earliest event; dates={antidetainer_bound_date}; year_only_dates={year_only_dates}; "
            f"city_policies={city_policies}")
    first = {}
    for r in events.itertuples():
        if not r.date_used:
            continue
        d = pd.Timestamp(r.date_used)
        for f, w in r.counties_switched:
            key = (f, w >= 1.0, None if w >= 1.0 else r.jurisdiction.split(" (")[0])
            if key not in first or d < first[key][0]:
                first[key] = (d, r, w)
    whole = {f: d for (f, full, _), (d, _, _) in first.items() if full}
    rows = []
    for (f, full, _), (d, r, w) in sorted(first.items(), key=lambda kv: (kv[0][0], kv[1][0])):
        if not full and f in whole and whole[f] <= d:
            continue  # the county is already on as a whole
        how = "state law" if r.level == "state" else r.level
        rows.append((f, "antidetainer", iso_date(d), "", r.precision, f"anti_detainer_policies:{r.row_id}", r.confidence,
                     f"{rule}; via {how}", w))
    return pd.DataFrame(rows, columns=SPELL_COLUMNS)
