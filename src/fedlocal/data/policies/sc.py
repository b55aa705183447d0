"""Secure Communities: the day ICE switched each county on, from White (2016) and the monthly activation file."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from fedlocal import registry
from fedlocal.data.counties import STATES, county_frame, to_2010
from fedlocal.data.policies.spells import SPELL_COLUMNS, check_option, iso_date
from fedlocal.vocab import MONTH_CODINGS, SC_ENDS

WHITE = "white2016_sc/jurisdictiondata_incwhites.csv"
SC_MONTHLY = "sc_activation_monthly/activation_dates.dta"

SC_SUSPENDED = pd.Timestamp("2014-11-20")  # DHS memo ending Secure Communities
SC_COMPLETE = pd.Timestamp("2013-01-22")  # ICE: every jurisdiction activated
NYC = ("36005", "36047", "36061", "36081", "36085")
# Counties without their own ICE jurisdiction row: booked into the jail of a host county, so they share its date.
SC_HOST = {
    "02230": ("02105", "Skagway: part of White's 'Skagway-Hoonah-Angoon' row (split 2007)"),
    "15005": ("15009", "Kalawao: administered by Maui County"),
    "51595": ("51081", "Emporia city: inside Greensville County"),
    "51600": ("51059", "Fairfax city: inside Fairfax County"),
    "51683": ("51153", "Manassas city: Prince William-Manassas regional jail"),
    "51685": ("51153", "Manassas Park city: Prince William-Manassas regional jail"),
    "51735": ("51199", "Poquoson city: beside York County"),
}
# White's file carries the wrong FIPS on two Virginia rows (its county names are right).
WHITE_FIPS_FIXES = {("VA", "Prince William"): "51153", ("VA", "York"): "51199"}


@lru_cache(maxsize=1)
def white_dates() -> pd.DataFrame:
    """White (2016): fips, day of SC activation (ICE jurisdiction rows mapped to 2010 counties; NYC expanded)."""
    w = pd.read_csv(registry.fetch(WHITE), sep="\t", encoding="latin-1", dtype=str,
                    usecols=["abbrev", "county", "activationdate", "GEOid2", "state"])
    w = w[w["activationdate"].notna()].copy()
    w["fips"] = to_2010(w["GEOid2"]).to_numpy()
    for (state, name), code in WHITE_FIPS_FIXES.items():
        w.loc[(w["abbrev"] == state) & (w["county"] == name), "fips"] = code
    w["date"] = pd.to_datetime(w["activationdate"], format="%m/%d/%Y")
    nyc = w[w["county"] == "New York City"]
    rows = [w[w["county"] != "New York City"][["fips", "county", "date"]]]
    if len(nyc):
        rows.append(pd.DataFrame({"fips": list(NYC), "county": "New York City", "date": nyc["date"].iloc[0]}))
    return pd.concat(rows, ignore_index=True).drop_duplicates("fips").reset_index(drop=True)


@lru_cache(maxsize=1)
def monthly_dates() -> pd.DataFrame:
    """The monthly SC file: fips, first day of the activation month."""
    m = pd.read_stata(registry.fetch(SC_MONTHLY))
    out = pd.DataFrame({"fips": to_2010(m["fips"]).to_numpy(),
                        "month": pd.to_datetime({"year": m["activation_year"].astype(int),
                                                 "month": m["activation_month"].astype(int), "day": 1}).to_numpy()})
    return out.drop_duplicates("fips").reset_index(drop=True)


def month_only_start(month: pd.Timestamp, month_coding: str) -> tuple[pd.Timestamp, str]:
    """The day used for an activation known only to its month (106 counties of Illinois and Alabama in January
    2013, three others), chosen so that `month_coding` decides the month explicitly: 'any_day' counts the month
    (the 1st), 'full_month' does not (the 1st of the next month: no day of the month is known to be covered),
    'majority' places the start on the 15th (the middle of the month, so the month counts: the unknown day is
    taken to fall in its first half)."""
    if month_coding == "any_day":
        return month, "sc:month_only (day unknown; month counts under any_day: 1st)"
    if month_coding == "full_month":
        return month + pd.offsets.MonthBegin(1), "sc:month_only (day unknown; month not counted under full_month: next 1st)"
    return month + pd.Timedelta(days=14), "sc:month_only (day unknown; majority: dated the 15th, so the month counts)"


def sc_spells(sc_end: str = "window_end", month_coding: str = "majority") -> pd.DataFrame:
    """One SC spell per county of the 2010 frame.

    Start: White's exact day (precision day); else the monthly file's month (precision month), dated by
    month_only_start under `month_coding`; else the host county's date for an independent
    city or enclave (SC_HOST); else the latest activation date in the county's state (the date ICE
    switched on the state's remaining counties). End: open ('window_end': on through December 2014) or
    the suspension memo of 2014-11-20 ('suspension').
    """
    check_option("sc_end", sc_end, SC_ENDS)
    check_option("month_coding", month_coding, MONTH_CODINGS)
    frame = county_frame()
    # dictionaries, not Series: ~3,000 scalar look-ups per coding (a Series look-up costs ~10 us)
    white = dict(zip(white_dates()["fips"], white_dates()["date"]))
    monthly = dict(zip(monthly_dates()["fips"], monthly_dates()["month"]))
    end = SC_SUSPENDED if sc_end == "suspension" else None
    end_rule = "end=suspension 2014-11-20" if end is not None else "end=open (on through 2014-12)"
    rows = {}
    for f in frame["fips"]:
        if f in white:
            month_ok = f in monthly and monthly[f] == white[f].replace(day=1)
            rows[f] = (white[f], "day", "white2016_sc" + (";sc_activation_monthly" if f in monthly else ""),
                       "high" if month_ok else "medium", "sc:white_day")
        elif f in monthly:
            day, rule = month_only_start(monthly[f], month_coding)
            rows[f] = (day, "month", "sc_activation_monthly", "medium", rule)
    for f, (host, why) in SC_HOST.items():
        if f not in rows and host in rows:
            day, precision, sources, _, _ = rows[host]
            rows[f] = (day, precision, sources, "low", f"sc:host_county {host} ({why})")
    state_last = {}
    for f, r in rows.items():
        state_last[f[:2]] = max(state_last.get(f[:2], r[0]), r[0])
    for f in frame["fips"]:
        if f not in rows:
            state = f[:2]
            day = state_last.get(state, SC_COMPLETE)
            rows[f] = (day, "bound", "white2016_sc;sc_activation_monthly", "low", f"sc:state_remainder ({STATES[state]} last activation)")
    out = pd.DataFrame([(f, "sc", iso_date(r[0]), iso_date(end), r[1], r[2], r[3], f"{r[4]}; {end_rule}", 1.0) for f, r in rows.items()],
                       columns=SPELL_COLUMNS)
    return out.sort_values("fips").reset_index(drop=True)
