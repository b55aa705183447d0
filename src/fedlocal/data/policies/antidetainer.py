"""Anti-detainer policies: the policy events compiled for this project (data/curated/), dated and mapped to counties,
and one open spell per county from its earliest counted event."""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from fedlocal import registry
from fedlocal.data.counties import county_frame
from fedlocal.data.policies.spells import SPELL_COLUMNS, check_option, iso_date
from fedlocal.vocab import BOUND_DATES

ANTI_DETAINER = "curated/anti_detainer_policies.csv"  # data/curated/ in the repository
JAIL_RUNNING_CITIES = {"New York City": "the city's Department of Correction runs the jails of all five counties"}


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


def _counted_events(antidetainer_city_policies: bool, antidetainer_bound_date: str) -> pd.DataFrame:
    """Every policy event with the date the panel uses and the list of counties each switches on.

    Date used: best_date (effective day, else adoption, else in_place_by). A date known only to a month or a
    year, or only as an upper bound, is dated by antidetainer_bound_date: 'in_place_by' takes the latest day
    consistent with the source (end of the month/year, or the in_place_by bound), 'midpoint' the middle between
    the earliest plausible day (period start or not_before) and that latest day. Events without any date are
    kept with an empty date and switch nothing. A state row switches every county of its state; a city policy
    switches its county only if antidetainer_city_policies, or if the city runs the county jail (New York City).
    """
    check_option("antidetainer_bound_date", antidetainer_bound_date, BOUND_DATES)
    a = anti_detainer_raw()
    frame = county_frame()
    out = []
    for r in a.itertuples():
        bounds = _period_bounds(r.best_date) if r.best_date else None
        precision = {"effective_day": "day", "adopted_day": "day", "adopted_month": "month", "adopted_year": "year",
                     "in_place_by_upper_bound": "bound", "none": "none"}.get(r.best_date_basis, r.best_date_basis)
        used = None
        if bounds is not None:
            lo, hi = bounds
            if precision == "bound":
                lo = pd.Timestamp(r.not_before) if r.not_before else hi
            elif r.not_before and pd.Timestamp(r.not_before) > lo:
                lo = pd.Timestamp(r.not_before)
            used = hi if antidetainer_bound_date == "in_place_by" else lo + (hi - lo) / 2
            used = pd.Timestamp(used.date())
        if r.level == "state":
            counties = list(frame.loc[frame["state"] == r.state, "fips"])
        else:
            counties = [c.strip() for c in r.county_fips.split(";") if c.strip()]
        jail_city = next((c for c in JAIL_RUNNING_CITIES if r.jurisdiction.startswith(c)), None)
        governs_jail = r.city_policy != "1" or jail_city is not None
        counts = used is not None and (governs_jail or antidetainer_city_policies)
        out.append({
            "row_id": r.row_id, "jurisdiction": r.jurisdiction, "state": r.state,
            "county_fips": ";".join(sorted(dict.fromkeys(counties))) if r.level != "state" else "",
            "level": r.level, "city_policy": int(r.city_policy), "governs_county_jail": int(governs_jail),
            "policy_type": r.policy_type, "event_kind": r.event_kind, "scope_code": r.scope_code,
            "date_adopted": r.date_adopted, "date_adopted_precision": r.date_adopted_precision,
            "date_effective": r.date_effective, "in_place_by": r.in_place_by, "not_before": r.not_before,
            "best_date": r.best_date, "best_date_basis": r.best_date_basis,
            "date_used": iso_date(used), "precision": precision, "switches_counties": len(counties) if counts else 0,
            "confidence": r.confidence, "sources": r.sources, "counties_switched": counties if counts else [],
        })
    return pd.DataFrame(out)


def anti_detainer_events(antidetainer_city_policies: bool = False, antidetainer_bound_date: str = "in_place_by") -> pd.DataFrame:
    """The events table of data/anti-detainer-events.csv: every event, its date used (see _counted_events) and
    how many counties it switches on."""
    return _counted_events(antidetainer_city_policies, antidetainer_bound_date).drop(columns="counties_switched")


def antidetainer_spells(antidetainer_city_policies: bool = False, antidetainer_bound_date: str = "in_place_by") -> pd.DataFrame:
    """One open spell per county from its earliest counted event (own policy or state law); nothing in the
    sources repeals a policy before 2015, and amendments (stricter or looser) do not switch a county off."""
    events = _counted_events(antidetainer_city_policies, antidetainer_bound_date)
    rule = f"antidetainer:earliest event; dates={antidetainer_bound_date}; city_policies={antidetainer_city_policies}"
    first = {}
    for r in events.itertuples():
        if not r.date_used:
            continue
        d = pd.Timestamp(r.date_used)
        for f in r.counties_switched:
            if f not in first or d < first[f][0]:
                first[f] = (d, r)
    rows = []
    for f, (d, r) in sorted(first.items()):
        how = "state law" if r.level == "state" else r.level
        rows.append((f, "antidetainer", iso_date(d), "", r.precision, f"anti_detainer_policies:{r.row_id}", r.confidence, f"{rule}; via {how}"))
    return pd.DataFrame(rows, columns=SPELL_COLUMNS)
