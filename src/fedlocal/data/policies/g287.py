"""287(g) agreements: the 2009-2010 rosters and ICE's 2010-2017 rosters, agencies mapped to counties,
and county spells of the jail (jem) and task-force (tfm) models."""

from __future__ import annotations

import io
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from fedlocal import registry
from fedlocal.data.counties import STATE_NAMES, county_frame
from fedlocal.data.policies.cities import city_weight
from fedlocal.data.policies.spells import OPEN_END, SPELL_COLUMNS, check_option, iso_date, spell_blocks
from fedlocal.vocab import AGREEMENT_STARTS, CITY_POLICIES

G287 = {
    "secondary": "deportationdata_287g/upstream/secondary_rosters_long.csv",  # CRS, MPI, NCLR, GAO, Cato blocks
    "oig": "deportationdata_287g/historical-oig-2009.csv",
    "foia": "deportationdata_287g/primary_source_chart_2010-05-08.csv",
    "best": "deportationdata_287g/upstream/agreements_best_guess.csv",  # 2002-2017 signings, 22 columns
}
# The blocks of the secondary-roster file that are read: the upstream parse of the other blocks (MPI Jan 2010,
# NCLR 2010, GAO 2007, Cato) assigns wrong states to many rows.
SECONDARY_BLOCKS = ("CRS RL32270 App. A (11 Mar 2009)", "MPI Delegation and Divergence App. 2 (Aug 2010)")
BEST_COLUMNS = ["state", "agency", "jurisdiction_level", "county_fips", "county_name", "first_signed_best",
                "first_signed_source", "latest_signed", "signing_dates", "models", "active_from", "active_to",
                "terminated", "n_rosters"]
BEST_LAST_SIGNING_YEAR = "2014"  # agreements first signed after the panel window cannot switch a county on
ROSTER_DATES = {"crs": "2009-02-01", "oig": "2009-10-28", "foia": "2010-05-08", "mpi": "2010-08-01"}
SOURCE_NAMES = {"crs": "CRS RL32270 (Feb 2009)", "oig": "DHS OIG-10-63 (Oct 2009)", "foia": "FOIA chart (May 2010)",
                "mpi": "MPI (Aug 2010)", "best": "ICE rosters 2010-2017 (deportationdata best guess)"}
MODEL_PARTS = {"Jail Enforcement": ("jem",), "Task Force": ("tfm",), "Hybrid": ("jem", "tfm"),
               "JEO": ("jem",), "TFO": ("tfm",), "JEO/TFO": ("jem", "tfm")}
NEW_MOA_DEADLINE = pd.Timestamp("2009-10-15")  # agencies that "withdrew" did not sign the 2009 standard MOA
# ICE's October 2012 rosters; ICE extended every agreement then in force to the end of 2012 (Houston Chronicle
# 2012-10-14) and let all task-force agreements expire on 2012-12-31 (ICE release 2012-12-21, quoted by NDLON, CIS).
OCTOBER_2012_ROSTERS = (pd.Timestamp("2012-10-02"), pd.Timestamp("2012-10-16"))
AGREEMENTS_EXTENDED_TO = pd.Timestamp("2012-12-31")


def _read_table(name: str) -> pd.DataFrame:
    """A CSV kept beside this module; its leading '#' lines describe the columns."""
    lines = Path(__file__).with_name(name).read_text(encoding="utf-8").splitlines(keepends=True)
    return pd.read_csv(io.StringIO("".join(line for line in lines if not line.startswith("#"))), dtype=str,
                       keep_default_na=False)


@lru_cache(maxsize=1)
def agency_counties() -> dict[tuple[str, str], tuple[str, ...]]:
    """(state, agency name) -> the counties (2010 FIPS) a local agency's agreement covers (agency_counties.csv)."""
    table = _read_table("agency_counties.csv")
    return {(r.state, r.agency): tuple(r.county_fips.split(";")) for r in table.itertuples()}


@lru_cache(maxsize=1)
def agency_cities() -> dict[tuple[str, str], str]:
    """(state, agency name) -> the city a city police agreement covers (agency_counties.csv column city); agencies
    covering whole counties are absent."""
    table = _read_table("agency_counties.csv")
    return {(r.state, r.agency): r.city for r in table.itertuples() if r.city}


@lru_cache(maxsize=1)
def agency_aliases() -> dict[str, str]:
    """Normalised name variant -> the normalised name it stands for (agency_aliases.csv)."""
    table = _read_table("agency_aliases.csv")
    return dict(zip(table["alias"], table["agency_key"]))


def agency_key(name: str) -> str:
    """An agency name reduced to lower-case letters and spaces, with roster variants mapped to one name."""
    s = str(name).lower().replace("’", "'").replace("dept.", "department").replace("co.", "county")
    s = re.sub(r"\b(ar|ut)$", "", s.strip())
    s = re.sub(r"[^a-z ]", "", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = s.replace("sheriff office", "sheriffs office").replace("sheriffs department", "sheriffs office") if "county" in s and "los angeles" not in s and "orange" not in s and "riverside" not in s else s
    return agency_aliases().get(s, s)


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


def secondary_rosters() -> pd.DataFrame:
    """The CRS (Feb 2009) and MPI (Aug 2010) blocks of the upstream secondary-roster file, every column as text."""
    full = pd.read_csv(registry.fetch(G287["secondary"]), dtype=str, keep_default_na=False)
    missing = [b for b in SECONDARY_BLOCKS if b not in set(full["source"])]
    if missing:
        raise ValueError(f"{G287['secondary']}: no rows of block(s) {missing}; the registered upstream file has them "
                         "(check the file against data/registry.yaml).")
    return full[full["source"].isin(SECONDARY_BLOCKS)].reset_index(drop=True)


def best_guess_agreements() -> pd.DataFrame:
    """The upstream agency-level reconstruction: agreements first signed by 2014, the 14 columns the coding reads
    (the MOA file, URL and source-flag columns are left out), every cell as text, in upstream order."""
    full = pd.read_csv(registry.fetch(G287["best"]), dtype=str, keep_default_na=False)
    missing = [c for c in BEST_COLUMNS if c not in full.columns]
    if missing:
        raise ValueError(f"{G287['best']}: missing column(s) {missing}; expected the upstream file registered in data/registry.yaml.")
    keep = full["first_signed_best"].str[:4] <= BEST_LAST_SIGNING_YEAR
    return full.loc[keep, BEST_COLUMNS].reset_index(drop=True)


@lru_cache(maxsize=1)
def agency_observations() -> pd.DataFrame:
    """Every dated fact about a 287(g) agreement: state, agency key, source, as_of, model parts, signing date, flags."""
    rows = []
    for r in secondary_rosters().itertuples():
        src = "crs" if r.source.startswith("CRS") else "mpi"
        rows.append((_state_usps(r.state), agency_key(r.agency), r.agency, src, pd.Timestamp(ROSTER_DATES[src]),
                     MODEL_PARTS[r.model], _date(r.date_signed), ""))
    oig = pd.read_csv(registry.fetch(G287["oig"]), dtype=str)
    for r in oig.itertuples():
        rows.append((_state_usps(r.state), agency_key(r.agency), r.agency, "oig", pd.Timestamp(ROSTER_DATES["oig"]),
                     MODEL_PARTS[r.model], _date(r.date_signed_original), r.status))
    foia = pd.read_csv(registry.fetch(G287["foia"]), dtype=str)
    for r in foia.itertuples():
        withdrew = str(r.signed_new_moa).strip() == "withdrew"
        signed = _date(r.signed_former_moa) or _date(r.signed_new_moa)
        rows.append((_state_usps(r.state), agency_key(r.agency), r.agency, "foia", pd.Timestamp(ROSTER_DATES["foia"]),
                     MODEL_PARTS[r.type], signed, "withdrew" if withdrew else str(r.signed_new_moa)))
    for r in best_guess_agreements().itertuples():
        models = [m.strip() for m in str(r.models).split("->")]
        parts = tuple(sorted({p for m in models for p in MODEL_PARTS[m]}))  # a label change between rosters: both parts
        flag = f"active_from={r.active_from};active_to={r.active_to};terminated={r.terminated};level={r.jurisdiction_level}"
        rows.append((_state_usps(r.state), agency_key(r.agency), r.agency, "best", pd.Timestamp(r.active_from),
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


@lru_cache(maxsize=1)
def documented_dates() -> pd.DataFrame:
    """Dates a public source gives for an agreement (g287_documented_dates.csv), keyed by (state, agency key)."""
    table = _read_table("g287_documented_dates.csv")
    bad = sorted(set(table["kind"]) - {"end", "tfm_end", "operation"})
    if bad:
        raise ValueError(f"g287_documented_dates.csv: unknown kind(s) {bad}; use end, tfm_end or operation.")
    table["key"] = [agency_key(a) for a in table["agency"]]
    table["date"] = pd.to_datetime(table["date"], format="%Y-%m-%d")
    return table


@lru_cache(maxsize=1)
def _documented_lookup() -> dict:
    """(state, key, kind) -> (date, source) of the first such row: one dictionary instead of a frame filter per
    agreement and kind (three filters of ~200 agreements cost about a second)."""
    lookup = {}
    for r in documented_dates().itertuples(index=False):
        lookup.setdefault((r.state, r.key, r.kind), (r.date, r.source))
    return lookup


def _documented(state: str, key: str, kind: str) -> tuple[pd.Timestamp, str] | None:
    return _documented_lookup().get((state, key, kind))


def operation_lag() -> pd.Timedelta:
    """Median days from signing to first operation over the agreements whose operation date a source gives."""
    ops = documented_dates()
    ops = ops[ops["kind"] == "operation"]
    signed = agreements(statewide_287g=True).set_index(["state", "key"])["start"]
    lags = [(r.date - signed[(r.state, r.key)]).days for r in ops.itertuples() if (r.state, r.key) in signed.index]
    return pd.Timedelta(days=float(pd.Series(lags).median()))


def _tfm_observations(observations, sources):
    """The dated models that decide the task-force part. The 2010-2017 ICE rosters list one model per agency, so
    a later roster without the task force is no evidence that a hybrid's task force ended (defect class 1 of
    issue 13); and MPI's 'Hybrid' label is ignored where both OIG (2009) and the FOIA chart (2010) list the
    agency with the jail model only (Hudson County NJ)."""
    oig_foia = [p for (d, p), s in zip(observations, sources) if s in ("oig", "foia")]
    contradicted = len({s for s in sources if s in ("oig", "foia")}) == 2 and all("tfm" not in p for p in oig_foia)
    keep = []
    for (d, p), s in zip(observations, sources):
        if s == "best" and "tfm" not in p:
            continue
        if s == "mpi" and contradicted:
            p = tuple(x for x in p if x != "tfm")
        keep.append((d, p))
    return keep or [(d, tuple(x for x in p if x != "tfm")) for d, p in observations]


def agreements(statewide_287g: bool = False) -> pd.DataFrame:
    """One row per 287(g) agreement (agency): see `_agreements`. A copy of the one built per process, because
    every coding of the run (and stage 01's coding-sensitivity table, up to eight codings) reads the same
    agreements: the codings differ only in how spells are cut from them."""
    return _agreements(bool(statewide_287g)).copy()


@lru_cache(maxsize=2)
def _agreements(statewide_287g: bool) -> pd.DataFrame:
    """One row per 287(g) agreement (agency) with its county list, start, ends and dated model observations.

    Start: the signing date most sources give (ties: OIG, FOIA chart, CRS, MPI, best guess); `operation` is the
    documented first day of operation where a source gives one (g287_documented_dates.csv), else empty. End, in
    order: a documented end (termination letter, non-renewal, lapse reported by the agency); 2012-12-31 for an
    agreement last listed on an October 2012 roster (ICE extended every agreement to the end of 2012, Houston
    Chronicle 2012-10-14, and ended all task forces then); the last ICE roster listing (precision 'bound') for
    agreements the 2010-2017 rosters end; open if still listed after 2014; 2009-10-15 for agencies the FOIA chart
    says withdrew; else the last roster that lists it. A renamed agency or an addendum row is the same agreement
    (agency_aliases.csv), so a roster gap is continuity. `tfm_end`: a documented end of the task-force part.
    Statewide agencies (state police, state prisons) have no county and are left out unless statewide_287g,
    which gives every county of the state the agreement.
    """
    obs = agency_observations()
    keys = {(state, agency_key(name)): fips for (state, name), fips in agency_counties().items()}
    cities = {(state, agency_key(name)): city for (state, name), city in agency_cities().items()}
    out = []
    prio = {"oig": 0, "foia": 1, "crs": 2, "mpi": 3, "best": 4}
    frame = county_frame()
    for (state, key), g in obs.groupby(["state", "key"], sort=True):
        counties = keys.get((state, key))
        best = g[g["source"] == "best"]
        statewide = counties is None and (best["flag"].str.contains("level=statewide").any()
                                          or re.search(r"department of|state police|highway patrol", key) is not None)
        if counties is None and not statewide:
            continue  # e.g. an agency never signed (Morristown NJ "in negotiations")
        if statewide:
            if not statewide_287g:
                continue
            counties = tuple(frame.loc[frame["state"] == state, "fips"])
        signed = g.dropna(subset=["signed"])
        if signed.empty:
            continue
        counts = signed.groupby("signed")["source"].agg(lambda s: (len(s), -min(prio[x] for x in s)))
        start = max(counts.index, key=lambda d: counts[d])
        start = min(start, best["as_of"].min()) if len(best) else start
        withdrew = (g["flag"] == "withdrew").any()
        documented_end = _documented(state, key, "end")
        if len(best):
            flags = [dict(kv.split("=") for kv in f.split(";")) for f in best["flag"]]
            last = max(pd.Timestamp(f["active_to"]) for f in flags)
            ended = all(f["terminated"] == "TRUE" for f in flags)
            end = last if ended else None
            end_basis = "end=last ICE roster listing" if ended else "end=open (listed after 2014)"
            if ended and last in OCTOBER_2012_ROSTERS and documented_end is None:
                end = AGREEMENTS_EXTENDED_TO
                end_basis = "end=2012-12-31 (listed in October 2012; ICE extended all agreements to the end of 2012)"
        elif withdrew:
            end, end_basis = NEW_MOA_DEADLINE, "end=withdrew before the 2009 standard MOA"
        else:
            end, end_basis = g["as_of"].max(), "end=last roster listing"
        if documented_end is not None:
            end, end_basis = documented_end[0], f"end=documented {iso_date(documented_end[0])} ({documented_end[1].split(':')[0]})"
        tfm_end = _documented(state, key, "tfm_end")
        operation = _documented(state, key, "operation")
        # dated model observations; the best-guess rows stand for every roster from active_from to active_to
        seen = g[["as_of", "parts", "source"]].sort_values(["as_of", "source"]).reset_index(drop=True)
        primary = g["source"].isin(["oig", "foia"]) & (g["signed"] == start)
        out.append({
            "state": state, "agency": g.sort_values("source")["agency"].iloc[0], "key": key, "counties": counties,
            "statewide": statewide, "city": cities.get((state, key), ""), "start": start,
            "operation": operation[0] if operation else pd.NaT, "end": end, "end_basis": end_basis,
            "tfm_end": tfm_end[0] if tfm_end else pd.NaT,
            "observations": list(zip(seen["as_of"], seen["parts"])), "observation_sources": list(seen["source"]),
            "sources": ";".join(sorted({SOURCE_NAMES[s] for s in g["source"]})),
            "confidence": "high" if primary.any() else "medium",
        })
    return pd.DataFrame(out)


def in_force(date: str, statewide_287g: bool = True) -> int:
    """Number of agreements (agencies, statewide ones included by default) in force on `date` under the default
    coding: signed on or before it and not ended before it (either model part counts)."""
    day = pd.Timestamp(date)
    n = 0
    for a in agreements(statewide_287g=statewide_287g).itertuples():
        end = a.end if a.end is not None and not pd.isna(a.end) else OPEN_END
        if not pd.isna(a.tfm_end):
            end = max(end, a.tfm_end) if a.end is not None and not pd.isna(a.end) else end
        if a.start <= day <= end:
            n += 1
    return n


def model_segments(start, end, observations, part):
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


def g287_spells(tfm_end_by: str = "2012-12-31", statewide_287g: bool = False, city_policies: str = "ignore",
                agreement_start: str = "signing") -> pd.DataFrame:
    """County spells of the 287(g) jail (jem) and task-force (tfm) models.

    A hybrid agreement sets both; its task-force part runs until the documented end of task forces (2012-06-25
    for the Arizona agencies DHS named, else `tfm_end_by`, ICE's non-renewal of all task forces), capped at the
    agreement's own end. Start: the signing day, or under agreement_start='operation' the documented first day
    of operation, else signing plus the median documented lag (operation_lag). A city police agreement counts
    for its county by `city_policies` (cities.city_weight); agencies in one county are unioned
    (spells.spell_blocks), and under 'population_share' the spells carry the city's population share as weight.
    """
    check_option("city_policies", city_policies, CITY_POLICIES)
    check_option("agreement_start", agreement_start, AGREEMENT_STARTS)
    cap = pd.Timestamp(tfm_end_by)
    lag = operation_lag() if agreement_start == "operation" else None
    parts = []
    for a in agreements(statewide_287g=statewide_287g).itertuples():
        start, start_rule = a.start, "start=signing"
        if agreement_start == "operation":
            if pd.isna(a.operation):
                start, start_rule = a.start + lag, f"start=signing + {lag.days} days (median documented lag)"
            else:
                start, start_rule = a.operation, "start=documented first operation"
        weights = {f: 1.0 for f in a.counties}
        if a.city:
            weights = {f: city_weight(a.city, f, city_policies) for f in a.counties}
        for part in ("jem", "tfm"):
            if part == "tfm":
                end = a.tfm_end if not pd.isna(a.tfm_end) else a.end
                segs = model_segments(start, end, _tfm_observations(a.observations, a.observation_sources), part)
            else:
                segs = model_segments(start, a.end, a.observations, part)
            for s, e in segs:
                rule = f"287g:{part} model by latest roster; {start_rule}; {a.end_basis}"
                if part == "tfm" and not pd.isna(a.tfm_end):
                    rule += f"; task force ended {iso_date(a.tfm_end)} (documented)"
                if part == "tfm" and e > cap:
                    e, rule = cap, rule + f"; tfm ends by {tfm_end_by}"
                if e < s:
                    continue
                if a.city:
                    rule += f"; city agreement ({a.city}): city_policies={city_policies}"
                for f in a.counties:
                    if weights[f] > 0:
                        parts.append((f, part, s, e, weights[f],
                                      {"agency": a.agency, "sources": a.sources, "confidence": a.confidence, "rule": rule}))
    df = pd.DataFrame(parts, columns=["fips", "program", "s", "e", "w", "info"])
    rows = []
    if len(df):
        # whole-county spells and, under population_share, each weight level form their own blocks
        df["full"] = df["w"] >= 1.0
        for (full,), sub in df.groupby(["full"], sort=True):
            sub = sub.copy()
            key = sub["program"] if full else sub["program"] + "|" + sub["info"].map(lambda i: i["agency"])
            sub["block"] = spell_blocks(sub["fips"], key, sub["s"], sub["e"])
            for _, g in sub.groupby("block", sort=True):
                infos = list(g["info"])
                conf = "medium" if any(i["confidence"] == "medium" for i in infos) else "high"
                agencies = "; ".join(sorted({i["agency"] for i in infos}))
                src = agencies + " [" + ";".join(sorted({x for i in infos for x in i["sources"].split(";")})) + "]"
                rows.append((g["fips"].iloc[0], g["program"].iloc[0], iso_date(g["s"].min()), iso_date(g["e"].max()), "day",
                             src, conf, " | ".join(sorted({i["rule"] for i in infos})), float(g["w"].iloc[0])))
    out = pd.DataFrame(rows, columns=SPELL_COLUMNS)
    return out.sort_values(["program", "fips", "start"]).reset_index(drop=True)


# Published counts of 287(g) agreements in force (agencies, statewide ones included): (date the count refers to,
# count, source, whether a source stating it was seen when the check was written).
PUBLISHED_COUNTS = (
    ("2007-09-19", 28, "ICE partner list as of 2007-09-19 (Wayback capture 20080114130103): 28 agencies", True),
    ("2009-02-01", 67, "CRS RL32270 App. A (report of 2009-03-11, as of February 2009): 67 agreements", True),
    ("2009-10-28", 67, "ICE release 2009-10-16 and DHS OIG-10-63 App. E (as of 2009-10-28): 67 agreements", True),
    ("2010-08-01", 71, "MPI, Delegation and Divergence (2011), App. 2 (August 2010): 72 agreements listed, about 71", True),
    ("2012-08-31", 64, "DHS, August 2012: 64 agreements (not seen: DHS OIG-12-130, September 2012, was found but not the "
                       "figure; the Houston Chronicle of 2012-10-14 has ICE notifying 'all 62' participating agencies)", False),
    ("2014-08-13", 35, "ICE 287(g) fact sheet (2014): 35 agencies in 18 states, as summarised by reference.com (the fact "
                       "sheet itself not seen; the issue's 'about 37' was not found in a source)", False),
)
PUBLISHED_TOLERANCE = 3  # agreements; the code counts renewals 'in negotiations' in October 2009 (three in CA)


def published_count_check() -> pd.DataFrame:
    """Agreements in force under the coding (in_force) against each published count: date, published, coded,
    difference, within tolerance, source, confirmed."""
    rows = []
    for date, count, source, confirmed in PUBLISHED_COUNTS:
        coded = in_force(date)
        rows.append({"date": date, "published": count, "coded": coded, "difference": coded - count,
                     "within_tolerance": abs(coded - count) <= PUBLISHED_TOLERANCE, "source": source,
                     "confirmed": confirmed})
    return pd.DataFrame(rows)
