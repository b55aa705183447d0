"""County policy timelines 2005-2014: Secure Communities, 287(g) jail and task-force models, anti-detainer policies.

The four treatments are county-level policies that switch on (and sometimes off). This module turns the
registered public sources into

- a spells table, one row per county x program x contiguous spell: fips, program, start, end (inclusive;
  empty = still on), date_precision (of the start), sources, confidence, rule (the coding rule that made it);
- a county x month panel 2005-01..2014-12 (every county of the 2010 frame, one 0/1 column per program);
- checks against East et al.'s 287(g) county spells and between the two Secure Communities files.

Every coding decision is a keyword argument whose default is the run parameter's default
(fedlocal.params.SCHEMA): sc_end, tfm_end_by, antidetainer_city_policies, antidetainer_bound_date,
month_coding.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

from fedlocal import FedlocalError, registry
from fedlocal.data.counties import STATES, county_frame, fips5, to_2010

PROGRAMS = ("sc", "jem", "tfm", "antidetainer")
FIRST_MONTH, LAST_MONTH = "2005-01", "2014-12"
SPELL_COLUMNS = ["fips", "program", "start", "end", "date_precision", "sources", "confidence", "rule"]
OPEN_END = pd.Timestamp("2262-01-01")  # stands in for an empty end date in day arithmetic

WHITE = "white2016_sc/jurisdictiondata_incwhites.csv"
SC_MONTHLY = "sc_activation_monthly/activation_dates.dta"
ANTI_DETAINER = "anti_detainer_policies/anti_detainer_policies.csv"
EAST = "deportationdata_287g/east_county_spells.csv"
NPR_DECLINED = "npr_ice_detainer_outcomes/declined_vs_everythingelse.csv"
G287 = {
    "crs": "deportationdata_287g/secondary_rosters_CRS2009_MPI2010.csv",  # also holds MPI
    "oig": "deportationdata_287g/historical-oig-2009.csv",
    "foia": "deportationdata_287g/primary_source_chart_2010-05-08.csv",
    "best": "deportationdata_287g/agreements_best_guess_subset_pre2015.csv",
}

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


class PolicyError(FedlocalError):
    """A coding option or an input that the policy builder cannot use."""


def _check_options(sc_end=None, antidetainer_bound_date=None, month_coding=None):
    allowed = {"sc_end": ("window_end", "suspension"), "antidetainer_bound_date": ("in_place_by", "midpoint"),
               "month_coding": ("any_day", "majority", "full_month")}
    for key, value in (("sc_end", sc_end), ("antidetainer_bound_date", antidetainer_bound_date), ("month_coding", month_coding)):
        if value is not None and value not in allowed[key]:
            raise PolicyError(f"policy coding: {key}={value!r} is not allowed; use one of {', '.join(allowed[key])}.")


def _iso(ts) -> str:
    return "" if ts is None or pd.isna(ts) or ts >= OPEN_END else pd.Timestamp(ts).date().isoformat()


# ---------------------------------------------------------------- Secure Communities

@lru_cache(maxsize=1)
def white_dates() -> pd.DataFrame:
    """White (2016): fips, day of SC activation (ICE jurisdiction rows mapped to 2010 counties; NYC expanded)."""
    w = pd.read_csv(registry.fetch(WHITE), sep="\t", encoding="latin-1", dtype=str,
                    usecols=["abbrev", "county", "activationdate", "GEOid2", "state"])
    w = w[w["activationdate"].notna()].copy()
    w["fips"] = to_2010(w["GEOid2"]).to_numpy()
    for (st, name), code in WHITE_FIPS_FIXES.items():
        w.loc[(w["abbrev"] == st) & (w["county"] == name), "fips"] = code
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


def sc_spells(sc_end: str = "window_end") -> pd.DataFrame:
    """One SC spell per county of the 2010 frame.

    Start: White's exact day (precision day); else the monthly file's month, dated the 15th (precision
    month: the middle of the month is the unbiased guess); else the host county's date for an independent
    city or enclave (SC_HOST); else the latest activation date in the county's state (the date ICE
    switched on the state's remaining counties). End: open ('window_end': on through December 2014) or
    the suspension memo of 2014-11-20 ('suspension').
    """
    _check_options(sc_end=sc_end)
    frame = county_frame()
    w = white_dates().set_index("fips")["date"]
    m = monthly_dates().set_index("fips")["month"]
    end = SC_SUSPENDED if sc_end == "suspension" else None
    end_rule = "end=suspension 2014-11-20" if end is not None else "end=open (on through 2014-12)"
    rows = {}
    for f in frame["fips"]:
        if f in w.index:
            month_ok = f in m.index and m[f] == w[f].replace(day=1)
            rows[f] = (w[f], "day", "white2016_sc" + (";sc_activation_monthly" if f in m.index else ""),
                       "high" if month_ok else "medium", "sc:white_day")
        elif f in m.index:
            rows[f] = (m[f] + pd.Timedelta(days=14), "month", "sc_activation_monthly", "medium", "sc:monthly_mid_month")
    for f, (host, why) in SC_HOST.items():
        if f not in rows and host in rows:
            d, prec, src, _, _ = rows[host]
            rows[f] = (d, prec, src, "low", f"sc:host_county {host} ({why})")
    state_last = {}
    for f, r in rows.items():
        state_last[f[:2]] = max(state_last.get(f[:2], r[0]), r[0])
    for f in frame["fips"]:
        if f not in rows:
            st = f[:2]
            d = state_last.get(st, SC_COMPLETE)
            rows[f] = (d, "bound", "white2016_sc;sc_activation_monthly", "low", f"sc:state_remainder ({STATES[st]} last activation)")
    out = pd.DataFrame([(f, "sc", _iso(r[0]), _iso(end), r[1], r[2], r[3], f"{r[4]}; {end_rule}") for f, r in rows.items()],
                       columns=SPELL_COLUMNS)
    return out.sort_values("fips").reset_index(drop=True)


def sc_source_agreement() -> dict:
    """How the two SC files agree: counties in both, share with the same activation month, and counties White lacks."""
    w = white_dates().set_index("fips")["date"]
    m = monthly_dates().set_index("fips")["month"]
    both = w.index.intersection(m.index)
    same = (w[both].dt.to_period("M") == m[both].dt.to_period("M"))
    return {"counties_both": int(len(both)), "same_month": int(same.sum()), "share_same_month": float(same.mean()),
            "white_only": int(len(w.index.difference(m.index))), "monthly_only": int(len(m.index.difference(w.index)))}


# ---------------------------------------------------------------- 287(g)

# Local agencies: state, name as in the agreement reconstruction, counties (2010 FIPS) and why, when not obvious.
# Names in the other rosters are matched after _agency_key normalisation plus ALIASES.
AGENCY_COUNTIES = {
    ("AL", "Etowah County Sheriff's Office"): ("01055",),
    ("AZ", "City of Mesa Police Department"): ("04013",),
    ("AZ", "City of Phoenix Police Department"): ("04013",),
    ("AZ", "Florence Police Department"): ("04021",),
    ("AZ", "Maricopa County Sheriff's Office"): ("04013",),
    ("AZ", "Pima County Sheriff's Office"): ("04019",),
    ("AZ", "Pinal County Sheriff's Office"): ("04021",),
    ("AZ", "Yavapai County Sheriff's Office"): ("04025",),
    ("AR", "Benton County Sheriff's Office"): ("05007",),
    ("AR", "City of Springdale Police Department"): ("05143",),
    ("AR", "Rogers Police Department"): ("05007",),
    ("AR", "Washington County Sheriff's Office"): ("05143",),
    ("UT", "Washington County Sheriff's Office"): ("49053",),  # merged with the Arkansas agency upstream: split here
    ("CA", "Los Angeles County Sheriff's Office"): ("06037",),
    ("CA", "Orange County Sheriff's Office"): ("06059",),
    ("CA", "Riverside County Sheriff's Office"): ("06065",),
    ("CA", "San Bernardino County Sheriff's Office"): ("06071",),
    ("CA", "San Bernardino County Sheriff's Office Addendum"): ("06071",),
    ("CO", "El Paso County Sheriff's Office"): ("08041",),
    ("CT", "City of Danbury Police Department"): ("09001",),
    ("FL", "Bay County Sheriff's Office"): ("12005",),
    ("FL", "Brevard County Sheriff's Office"): ("12009",),
    ("FL", "Collier County Sheriff's Office"): ("12021",),
    ("FL", "Jacksonville Sheriff's Office"): ("12031",),
    ("FL", "Manatee County Sheriff's Office"): ("12081",),
    ("GA", "Cobb County Sheriff's Office"): ("13067",),
    ("GA", "Gwinnett County Sheriff's Office"): ("13135",),
    ("GA", "Hall County Sheriff's Office"): ("13139",),
    ("GA", "Whitfield County Sheriff's Office"): ("13313",),
    ("MD", "Frederick County Sheriff's Office"): ("24021",),
    ("MA", "Barnstable County Sheriff's Office"): ("25001",),
    ("MA", "Framingham Police Department"): ("25017",),
    ("NV", "Las Vegas Metropolitan Police Department"): ("32003",),
    ("NH", "Hudson City Police Department"): ("33011",),
    ("NJ", "Hudson County Department of Corrections"): ("34017",),
    ("NJ", "Monmouth County Sheriff's Office"): ("34025",),
    ("NC", "Alamance County Sheriff's Office"): ("37001",),
    ("NC", "Cabarrus County Sheriff's Office"): ("37025",),
    ("NC", "City of Durham Police Department"): ("37063",),
    ("NC", "Cumberland County Sheriff's Office"): ("37051",),
    ("NC", "Gaston County Sheriff's Office"): ("37071",),
    ("NC", "Guilford County Sheriff's Office"): ("37081",),
    ("NC", "Henderson County Sheriff's Office"): ("37089",),
    ("NC", "Mecklenburg County Sheriff's Office"): ("37119",),
    ("NC", "Wake County Sheriff's Office"): ("37183",),
    ("OH", "Butler County Sheriff's Office"): ("39017",),
    ("OK", "Tulsa County Sheriff's Office"): ("40143",),
    ("SC", "Beaufort County Sheriff's Office"): ("45013",),
    ("SC", "Charleston County Sheriff's Office"): ("45019",),
    ("SC", "Lexington County Sheriff's Office"): ("45063",),
    ("SC", "York County Sheriff's Office"): ("45091",),
    ("TN", "Davidson County Sheriff's Office"): ("47037",),
    ("TX", "Carrollton Police Department"): ("48113", "48085", "48121"),  # the city spans three counties
    ("TX", "Farmers Branch Police Department"): ("48113",),
    ("TX", "Harris County Sheriff's Office"): ("48201",),
    ("UT", "Weber County Sheriff's Office"): ("49057",),
    ("VA", "Herndon Police Department"): ("51059",),
    ("VA", "Loudoun County Sheriff's Office"): ("51107",),
    ("VA", "Manassas Park Police Department"): ("51685",),  # independent city (upstream: Prince William)
    ("VA", "Manassas Police Department"): ("51683",),  # independent city (upstream: Prince William)
    ("VA", "Prince William County Police Department"): ("51153",),
    ("VA", "Prince William County Sheriff's Office"): ("51153",),
    ("VA", "Prince William-Manassas Regional Jail"): ("51153", "51683", "51685"),  # serves the county and both cities
    ("VA", "Prince William-Manassas Regional Adult Detention Center"): ("51153", "51683", "51685"),
    ("VA", "Rockingham County Sheriff's Office"): ("51165",),
    ("VA", "Shenandoah County Sheriff's Office"): ("51171",),
}
ALIASES = {
    "al state police": "alabama department of public safety", "az department of corrections": "arizona department of corrections",
    "az department of public safety": "arizona department of public safety", "co department of public safety": "colorado department of public safety",
    "fl department of law enforcement": "florida department of law enforcement", "ga department of public safety": "georgia department of public safety",
    "ma department of corrections": "massachusetts department of corrections", "mn department of public safety": "minnesota department of public safety",
    "mo state highway patrol": "missouri state highway patrol", "nm department of corrections": "new mexico department of corrections",
    "tn department of safety": "tennessee highway patrol department of safety", "tennessee department of safety": "tennessee highway patrol department of safety",
    "tennessee highway patroldps": "tennessee highway patrol department of safety",
    "mesa police department": "city of mesa police department", "phoenix police department": "city of phoenix police department",
    "springdale police department": "city of springdale police department", "danbury police department": "city of danbury police department",
    "durham police department": "city of durham police department", "city of manassas police department": "manassas police department",
    "las vegas metropolitan police dept": "las vegas metropolitan police department", "farmers branch police dept": "farmers branch police department",
    "hudson police department": "hudson city police department", "herndon county sheriffs office": "herndon police department",
    "prince williammanassas adult detention center": "prince williammanassas regional jail",
    "los angeles county sheriffs department": "los angeles county sheriffs office", "orange county sheriffs department": "orange county sheriffs office",
    "riverside county sheriffs department": "riverside county sheriffs office",
}
ROSTER_DATES = {"crs": "2009-02-01", "oig": "2009-10-28", "foia": "2010-05-08", "mpi": "2010-08-01"}
SOURCE_NAMES = {"crs": "CRS RL32270 (Feb 2009)", "oig": "DHS OIG-10-63 (Oct 2009)", "foia": "FOIA chart (May 2010)",
                "mpi": "MPI (Aug 2010)", "best": "ICE rosters 2010-2017 (deportationdata best guess)"}
MODEL_PARTS = {"Jail Enforcement": ("jem",), "Task Force": ("tfm",), "Hybrid": ("jem", "tfm"),
               "JEO": ("jem",), "TFO": ("tfm",), "JEO/TFO": ("jem", "tfm")}
NEW_MOA_DEADLINE = pd.Timestamp("2009-10-15")  # agencies that "withdrew" did not sign the 2009 standard MOA


def _agency_key(name: str) -> str:
    s = str(name).lower().replace("’", "'").replace("dept.", "department").replace("co.", "county")
    s = re.sub(r"\b(ar|ut)$", "", s.strip())
    s = re.sub(r"[^a-z ]", "", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = s.replace("sheriff office", "sheriffs office").replace("sheriffs department", "sheriffs office") if "county" in s and "los angeles" not in s and "orange" not in s and "riverside" not in s else s
    return ALIASES.get(s, s)


STATE_NAMES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado", "CT": "Connecticut",
    "DE": "Delaware", "DC": "District Of Columbia", "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah",
    "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}


def _state_usps(name: str) -> str:
    """USPS code from a full state name in any case ('ALABAMA', 'Delaware**') or a USPS code."""
    s = re.sub(r"[^A-Za-z ]", "", str(name)).strip()
    by_name = {v.upper(): k for k, v in STATE_NAMES.items()}
    return by_name.get(s.upper(), s.upper())


def _date(text) -> pd.Timestamp | None:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    first = str(text).split(";")[0].strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y"):
        try:
            return pd.Timestamp(pd.to_datetime(first, format=fmt))
        except ValueError:
            continue
    return None


@lru_cache(maxsize=1)
def agency_observations() -> pd.DataFrame:
    """Every dated fact about a 287(g) agreement: state, agency key, source, as_of, model parts, signing date, flags."""
    rows = []
    crs = pd.read_csv(registry.fetch(G287["crs"]), dtype=str)
    for r in crs.itertuples():
        src = "crs" if r.source.startswith("CRS") else "mpi"
        rows.append((_state_usps(r.state), _agency_key(r.agency), r.agency, src, pd.Timestamp(ROSTER_DATES[src]),
                     MODEL_PARTS[r.model], _date(r.date_signed), ""))
    oig = pd.read_csv(registry.fetch(G287["oig"]), dtype=str)
    for r in oig.itertuples():
        rows.append((_state_usps(r.state), _agency_key(r.agency), r.agency, "oig", pd.Timestamp(ROSTER_DATES["oig"]),
                     MODEL_PARTS[r.model], _date(r.date_signed_original), r.status))
    foia = pd.read_csv(registry.fetch(G287["foia"]), dtype=str)
    for r in foia.itertuples():
        withdrew = str(r.signed_new_moa).strip() == "withdrew"
        signed = _date(r.signed_former_moa) or _date(r.signed_new_moa)
        rows.append((_state_usps(r.state), _agency_key(r.agency), r.agency, "foia", pd.Timestamp(ROSTER_DATES["foia"]),
                     MODEL_PARTS[r.type], signed, "withdrew" if withdrew else str(r.signed_new_moa)))
    best = pd.read_csv(registry.fetch(G287["best"]), dtype=str)
    for r in best.itertuples():
        models = [m.strip() for m in str(r.models).split("->")]
        parts = tuple(sorted({p for m in models for p in MODEL_PARTS[m]}))  # a label change between rosters: both parts
        flag = f"active_from={r.active_from};active_to={r.active_to};terminated={r.terminated};level={r.jurisdiction_level}"
        rows.append((_state_usps(r.state), _agency_key(r.agency), r.agency, "best", pd.Timestamp(r.active_from),
                     parts, _date(r.first_signed_best), flag))
    obs = pd.DataFrame(rows, columns=["state", "key", "agency", "source", "as_of", "parts", "signed", "flag"])
    # the upstream reconstruction merges the Arkansas and Utah Washington County sheriffs: give Utah its own rows
    utah = (obs["state"] == "UT") & (obs["key"] == "washington county sheriffs office")
    ar_best = obs[(obs["state"] == "AR") & (obs["key"] == "washington county sheriffs office") & (obs["source"] == "best")]
    if utah.any() and len(ar_best):
        extra = ar_best.copy()
        extra["state"] = "UT"
        extra["signed"] = obs.loc[utah, "signed"].dropna().min()
        obs = pd.concat([obs, extra], ignore_index=True)
    return obs


def agreements(statewide_287g: bool = False) -> pd.DataFrame:
    """One row per 287(g) agreement (agency) with its county list, start, end and dated model observations.

    Start: the signing date most sources give (ties: OIG, FOIA chart, CRS, MPI, best guess). End: the last
    ICE roster listing for agreements the 2010-2017 rosters end (precision 'bound'); open if still listed
    after 2014; 2009-10-15 for agencies the FOIA chart says withdrew; else the last roster that lists it.
    Statewide agencies (state police, state prisons) have no county and are left out unless statewide_287g,
    which gives every county of the state the agreement.
    """
    obs = agency_observations()
    keys = {(st, _agency_key(name)): fips for (st, name), fips in AGENCY_COUNTIES.items()}
    out = []
    prio = {"oig": 0, "foia": 1, "crs": 2, "mpi": 3, "best": 4}
    frame = county_frame()
    for (st, key), g in obs.groupby(["state", "key"], sort=True):
        counties = keys.get((st, key))
        best = g[g["source"] == "best"]
        statewide = counties is None and (best["flag"].str.contains("level=statewide").any()
                                          or re.search(r"department of|state police|highway patrol", key) is not None)
        if counties is None and not statewide:
            continue  # e.g. an agency never signed (Morristown NJ "in negotiations")
        if statewide:
            if not statewide_287g:
                continue
            counties = tuple(frame.loc[frame["state"] == st, "fips"])
        signed = g.dropna(subset=["signed"])
        if signed.empty:
            continue
        counts = signed.groupby("signed")["source"].agg(lambda s: (len(s), -min(prio[x] for x in s)))
        start = max(counts.index, key=lambda d: counts[d])
        start = min(start, g.loc[g["source"] == "best", "as_of"].min()) if (g["source"] == "best").any() else start
        withdrew = (g["flag"] == "withdrew").any()
        if len(best):
            flags = dict(kv.split("=") for kv in best["flag"].iloc[0].split(";"))
            last = pd.Timestamp(flags["active_to"])
            end = last if flags["terminated"] == "TRUE" else None
            end_basis = "end=last ICE roster listing" if end is not None else "end=open (listed after 2014)"
        elif withdrew:
            end, end_basis = NEW_MOA_DEADLINE, "end=withdrew before the 2009 standard MOA"
        else:
            end, end_basis = g["as_of"].max(), "end=last roster listing"
        # dated model observations; the best-guess rows stand for every roster from active_from to active_to
        seen = g[["as_of", "parts", "source"]].sort_values(["as_of", "source"]).reset_index(drop=True)
        primary = g["source"].isin(["oig", "foia"]) & (g["signed"] == start)
        out.append({
            "state": st, "agency": g.sort_values("source")["agency"].iloc[0], "key": key, "counties": counties,
            "statewide": statewide, "start": start, "end": end, "end_basis": end_basis,
            "observations": list(zip(seen["as_of"], seen["parts"])),
            "sources": ";".join(sorted({SOURCE_NAMES[s] for s in g["source"]})),
            "confidence": "high" if primary.any() else "medium",
        })
    return pd.DataFrame(out)


def _model_segments(start, end, observations, part):
    """Intervals of [start, end] in which the agreement includes `part`: the model of the latest roster at or
    before a day holds until the next roster (before the first roster, the first roster's model)."""
    obs = sorted(observations, key=lambda o: o[0])
    end = OPEN_END if end is None or pd.isna(end) else end
    cuts = [start] + [d for d, _ in obs if start < d <= end]
    segs = []
    for i, a in enumerate(cuts):
        b = cuts[i + 1] - pd.Timedelta(days=1) if i + 1 < len(cuts) else end
        prior = [p for d, p in obs if d <= a]
        parts = prior[-1] if prior else obs[0][1]
        if part in parts:
            if segs and segs[-1][1] >= a - pd.Timedelta(days=1):
                segs[-1] = (segs[-1][0], b)
            else:
                segs.append((a, b))
    return segs


def _merge(intervals):
    """Union of (start, end, info) intervals: touching or overlapping ones become one spell, infos joined."""
    out = []
    for a, b, info in sorted(intervals, key=lambda x: x[0]):
        if out and a <= out[-1][1] + pd.Timedelta(days=1):
            out[-1] = (out[-1][0], max(out[-1][1], b), out[-1][2] + [info])
        else:
            out.append((a, b, [info]))
    return out


def g287_spells(tfm_end_by: str = "2012-12-31", statewide_287g: bool = False) -> pd.DataFrame:
    """County spells of the 287(g) jail (jem) and task-force (tfm) models: a hybrid agreement sets both; every
    task-force component ends by tfm_end_by; agencies in one county are unioned."""
    cap = pd.Timestamp(tfm_end_by)
    parts = []
    for a in agreements(statewide_287g=statewide_287g).itertuples():
        for part in ("jem", "tfm"):
            for s, e in _model_segments(a.start, a.end, a.observations, part):
                rule = f"287g:{part} model by latest roster; {a.end_basis}"
                if part == "tfm" and e > cap:
                    e, rule = cap, rule + f"; tfm ends by {tfm_end_by}"
                if e < s:
                    continue
                for f in a.counties:
                    parts.append((f, part, s, e, {"agency": a.agency, "sources": a.sources, "confidence": a.confidence, "rule": rule}))
    rows = []
    df = pd.DataFrame(parts, columns=["fips", "program", "s", "e", "info"])
    for (f, prog), g in df.groupby(["fips", "program"], sort=True):
        for s, e, infos in _merge(zip(g["s"], g["e"], g["info"])):
            conf = "medium" if any(i["confidence"] == "medium" for i in infos) else "high"
            src = "; ".join(sorted({i["agency"] for i in infos})) + " [" + ";".join(sorted({x for i in infos for x in i["sources"].split(";")})) + "]"
            rows.append((f, prog, _iso(s), _iso(e), "day", src, conf, " | ".join(sorted({i["rule"] for i in infos}))))
    return pd.DataFrame(rows, columns=SPELL_COLUMNS)


# ---------------------------------------------------------------- anti-detainer

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


def anti_detainer_events(antidetainer_city_policies: bool = False, antidetainer_bound_date: str = "in_place_by") -> pd.DataFrame:
    """The 191 policy events as a tidy table with the date the panel uses and the counties each switches on.

    Date used: best_date (effective day, else adoption, else in_place_by). A date known only to a month or a
    year, or only as an upper bound, is dated by antidetainer_bound_date: 'in_place_by' takes the latest day
    consistent with the source (end of the month/year, or the in_place_by bound), 'midpoint' the middle between
    the earliest plausible day (period start or not_before) and that latest day. Events without any date are
    kept with an empty date and switch nothing. A state row switches every county of its state; a city policy
    switches its county only if antidetainer_city_policies, or if the city runs the county jail (New York City).
    """
    _check_options(antidetainer_bound_date=antidetainer_bound_date)
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
            "date_used": _iso(used), "precision": precision, "switches_counties": len(counties) if counts else 0,
            "confidence": r.confidence, "sources": r.sources, "counties_switched": counties if counts else [],
        })
    return pd.DataFrame(out)


def antidetainer_spells(antidetainer_city_policies: bool = False, antidetainer_bound_date: str = "in_place_by") -> pd.DataFrame:
    """One open spell per county from its earliest counted event (own policy or state law); nothing in the
    sources repeals a policy before 2015, and amendments (stricter or looser) do not switch a county off."""
    ev = anti_detainer_events(antidetainer_city_policies, antidetainer_bound_date)
    rule = f"antidetainer:earliest event; dates={antidetainer_bound_date}; city_policies={antidetainer_city_policies}"
    first = {}
    for r in ev.itertuples():
        if not r.date_used:
            continue
        d = pd.Timestamp(r.date_used)
        for f in r.counties_switched:
            if f not in first or d < first[f][0]:
                first[f] = (d, r)
    rows = []
    for f, (d, r) in sorted(first.items()):
        how = "state law" if r.level == "state" else r.level
        rows.append((f, "antidetainer", _iso(d), "", r.precision, f"anti_detainer_policies:{r.row_id}", r.confidence, f"{rule}; via {how}"))
    return pd.DataFrame(rows, columns=SPELL_COLUMNS)


# ---------------------------------------------------------------- the spells table and the panel

def build_spells(sc_end: str = "window_end", tfm_end_by: str = "2012-12-31", antidetainer_city_policies: bool = False,
                 antidetainer_bound_date: str = "in_place_by", statewide_287g: bool = False) -> pd.DataFrame:
    """All programs' spells, sorted by program, county and start (the data/policy-spells.csv table)."""
    _check_options(sc_end=sc_end, antidetainer_bound_date=antidetainer_bound_date)
    try:
        pd.Timestamp(tfm_end_by)
    except ValueError:
        raise PolicyError(f"policy coding: tfm_end_by={tfm_end_by!r} is not a date YYYY-MM-DD.") from None
    parts = [sc_spells(sc_end), g287_spells(tfm_end_by, statewide_287g),
             antidetainer_spells(antidetainer_city_policies, antidetainer_bound_date)]
    s = pd.concat(parts, ignore_index=True)
    s["program"] = pd.Categorical(s["program"], PROGRAMS)
    s = s.sort_values(["program", "fips", "start"]).reset_index(drop=True)
    s["program"] = s["program"].astype(str)
    return s[SPELL_COLUMNS]


def months(first: str = FIRST_MONTH, last: str = LAST_MONTH) -> pd.PeriodIndex:
    return pd.period_range(first, last, freq="M")


def _spell_days(spells: pd.DataFrame):
    start = pd.to_datetime(spells["start"]).to_numpy("datetime64[D]")
    end_txt = spells["end"].fillna("").astype(str)
    end = np.where(end_txt == "", np.datetime64(OPEN_END.date(), "D"),
                   pd.to_datetime(end_txt.where(end_txt != "", "2262-01-01")).to_numpy("datetime64[D]"))
    return start, end


def build_panel(spells: pd.DataFrame, month_coding: str = "majority", fips=None,
                first: str = FIRST_MONTH, last: str = LAST_MONTH) -> pd.DataFrame:
    """County x month panel (fips, month 'YYYY-MM', one int8 column per program) for every county of the frame.

    A month counts as on under 'any_day' if a spell covers any of its days, 'majority' if at least half of
    them, 'full_month' if all of them.
    """
    _check_options(month_coding=month_coding)
    fips = list(county_frame()["fips"]) if fips is None else list(fips)
    per = months(first, last)
    m0 = per.start_time.to_numpy("datetime64[D]")
    m1 = per.end_time.to_numpy("datetime64[D]")
    mdays = (m1 - m0).astype(int) + 1
    pos = {f: i for i, f in enumerate(fips)}
    out = {}
    for prog in PROGRAMS:
        grid = np.zeros((len(fips), len(per)), dtype=np.int32)  # active days
        s = spells[(spells["program"] == prog) & spells["fips"].isin(pos)]
        if len(s):
            a, b = _spell_days(s)
            ov = (np.minimum(b[:, None], m1[None, :]) - np.maximum(a[:, None], m0[None, :])).astype(int) + 1
            ov = np.clip(ov, 0, None)
            np.add.at(grid, np.array([pos[f] for f in s["fips"]]), ov)
        grid = np.minimum(grid, mdays[None, :])
        if month_coding == "any_day":
            on = grid > 0
        elif month_coding == "majority":
            on = 2 * grid >= mdays[None, :]
        else:
            on = grid == mdays[None, :]
        out[prog] = on.astype(np.int8).ravel()
    panel = pd.DataFrame({"fips": np.repeat(np.array(fips, dtype=object), len(per)),
                          "month": np.tile(per.strftime("%Y-%m").to_numpy(dtype=object), len(fips))})
    for prog in PROGRAMS:
        panel[prog] = out[prog]
    return panel


def active_days(spells: pd.DataFrame, program: str, county_fips, ref_start, ref_end) -> np.ndarray:
    """Days on which `program` was active in each county's period [ref_start, ref_end] (both inclusive).

    Vectorised over interviews: county_fips, ref_start and ref_end are equal-length arrays. Divide by the
    period's length for a share; > 0 means exposed on any day.
    """
    if program not in PROGRAMS:
        raise PolicyError(f"active_days: unknown program {program!r}; use one of {', '.join(PROGRAMS)}.")
    q = pd.DataFrame({"fips": fips5(county_fips).to_numpy(),
                      "a": pd.to_datetime(pd.Series(ref_start)).to_numpy("datetime64[D]"),
                      "b": pd.to_datetime(pd.Series(ref_end)).to_numpy("datetime64[D]")})
    q["row"] = np.arange(len(q))
    s = spells[spells["program"] == program]
    sa, sb = _spell_days(s)
    s = pd.DataFrame({"fips": s["fips"].to_numpy(), "sa": sa, "sb": sb})
    j = q.merge(s, on="fips", how="inner")
    days = np.zeros(len(q), dtype=np.int64)
    if len(j):
        ov = (np.minimum(j["b"].to_numpy(), j["sb"].to_numpy()) - np.maximum(j["a"].to_numpy(), j["sa"].to_numpy())).astype("timedelta64[D]").astype(int) + 1
        np.add.at(days, j["row"].to_numpy(), np.clip(ov, 0, None))
    return days


# ---------------------------------------------------------------- checks against East et al. and summaries

@lru_cache(maxsize=1)
def east_spells() -> pd.DataFrame:
    """East et al. county spells: fips, first and last month, jem/tfm flags from the model label (a hybrid label sets both)."""
    e = pd.read_csv(registry.fetch(EAST), dtype=str)
    out = pd.DataFrame({"fips": to_2010(e["fips"]).to_numpy(), "start": e["start_ym"], "end": e["end_ym"], "models": e["models"]})
    out["jem"] = out["models"].str.contains("Jail Enforcement|Hybrid").astype(int)
    out["tfm"] = out["models"].str.contains("Task Force|Hybrid").astype(int)
    return out


def east_panel(east: pd.DataFrame | None = None, first: str = FIRST_MONTH, last: str = LAST_MONTH) -> pd.DataFrame:
    """East's spells as a county x month panel (fips, month, jem, tfm) on the same grid as build_panel."""
    east = east_spells() if east is None else east
    spells = []
    for r in east.itertuples():
        s = pd.Period(r.start, "M").start_time.date().isoformat()
        e = pd.Period(r.end, "M").end_time.date().isoformat()
        for prog in ("jem", "tfm"):
            if getattr(r, prog):
                spells.append((r.fips, prog, s, e))
    sp = pd.DataFrame(spells, columns=["fips", "program", "start", "end"])
    p = build_panel(sp, "any_day", first=first, last=last)
    return p[["fips", "month", "jem", "tfm"]]


def agreement(ours: pd.DataFrame, theirs: pd.DataFrame, programs=("jem", "tfm")) -> pd.DataFrame:
    """Per program (and 'any_287g' = jem or tfm): share of all county-months on which two panels agree, and the
    share among county-months that either codes as on (the informative one: most counties never had 287(g))."""
    m = ours.merge(theirs, on=["fips", "month"], suffixes=("", "_other"), how="inner")
    rows = []
    cols = list(programs) + (["any_287g"] if set(programs) == {"jem", "tfm"} else [])
    for prog in cols:
        if prog == "any_287g":
            x, y = (m["jem"] | m["tfm"]), (m["jem_other"] | m["tfm_other"])
        else:
            x, y = m[prog], m[f"{prog}_other"]
        either = (x == 1) | (y == 1)
        rows.append({"program": prog, "county_months": int(len(m)), "agree_share": float((x == y).mean()),
                     "on_either": int(either.sum()), "agree_when_on_share": float((x[either] == y[either]).mean()) if either.any() else float("nan"),
                     "counties_ours": int(m.loc[x == 1, "fips"].nunique()), "counties_other": int(m.loc[y == 1, "fips"].nunique())})
    return pd.DataFrame(rows)


def disagreements(ours: pd.DataFrame, theirs: pd.DataFrame, programs=("jem", "tfm")) -> pd.DataFrame:
    """County x program rows where two panels differ: months on in each, first/last month on in each, and the kind."""
    m = ours.merge(theirs, on=["fips", "month"], suffixes=("", "_other"))
    rows = []
    for prog in programs:
        d = m[m[prog] != m[f"{prog}_other"]]
        for f in sorted(d["fips"].unique()):
            g = m[m["fips"] == f]
            on_o, on_t = g.loc[g[prog] == 1, "month"], g.loc[g[f"{prog}_other"] == 1, "month"]
            if on_t.empty:
                kind = "only ours"
            elif on_o.empty:
                kind = "only theirs"
            else:
                kinds = []
                if on_o.min() != on_t.min():
                    kinds.append("start")
                if on_o.max() != on_t.max():
                    kinds.append("end")
                kind = " and ".join(kinds) + " differ" if kinds else "gap differs"
            rows.append({"fips": f, "program": prog, "kind": kind,
                         "ours_first": on_o.min() if len(on_o) else "", "ours_last": on_o.max() if len(on_o) else "",
                         "theirs_first": on_t.min() if len(on_t) else "", "theirs_last": on_t.max() if len(on_t) else "",
                         "months_differ": int((g[prog] != g[f"{prog}_other"]).sum())})
    return pd.DataFrame(rows, columns=["fips", "program", "kind", "ours_first", "ours_last", "theirs_first", "theirs_last", "months_differ"])


def coverage_by_month(panel: pd.DataFrame) -> pd.DataFrame:
    """Share of the 2010 population living in a covered county, per program and month."""
    pop = county_frame().set_index("fips")["pop2010"]
    p = panel.assign(pop=panel["fips"].map(pop).to_numpy())
    total = pop.sum()
    return pd.DataFrame({prog: p["pop"].where(p[prog] == 1, 0).groupby(p["month"]).sum() / total for prog in PROGRAMS})


def coverage_by_year(panel: pd.DataFrame) -> pd.DataFrame:
    """Per program and year: counties on in December, counties on in any month, population share in December."""
    pop = county_frame().set_index("fips")["pop2010"]
    p = panel.assign(year=panel["month"].str[:4].astype(int), pop=panel["fips"].map(pop).to_numpy())
    rows = []
    for prog in PROGRAMS:
        for y, g in p.groupby("year"):
            dec = g[g["month"] == f"{y}-12"]
            rows.append({"program": prog, "year": int(y), "counties_december": int(dec[prog].sum()),
                         "counties_any_month": int(g.loc[g[prog] == 1, "fips"].nunique()),
                         "population_december": int(dec.loc[dec[prog] == 1, "pop"].sum()),
                         "population_share_december": float(dec.loc[dec[prog] == 1, "pop"].sum() / pop.sum())})
    return pd.DataFrame(rows)


def npr_declines(pattern: str, state: str) -> pd.DataFrame:
    """NPR FOIA extract: detainers declined by jails whose name matches `pattern` (regex) in `state` (USPS), by year."""
    raw = pd.read_csv(registry.fetch(NPR_DECLINED), dtype=str, header=0)
    raw = raw.iloc[:, :5]
    raw.columns = ["year", "det_facility", "city", "state", "declined"]
    hit = raw[(raw["state"].str.upper() == STATE_NAMES[state].upper()) & raw["det_facility"].str.contains(pattern, case=False, regex=True, na=False)]
    return hit.assign(declined=pd.to_numeric(hit["declined"]), year=pd.to_numeric(hit["year"])).groupby("year")["declined"].sum().reset_index()
