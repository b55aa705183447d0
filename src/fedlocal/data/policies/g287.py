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
from fedlocal.data.policies.spells import OPEN_END, SPELL_COLUMNS, iso_date, spell_blocks

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


def agreements(statewide_287g: bool = False) -> pd.DataFrame:
    """One row per 287(g) agreement (agency) with its county list, start, end and dated model observations.

    Start: the signing date most sources give (ties: OIG, FOIA chart, CRS, MPI, best guess). End: the last
    ICE roster listing for agreements the 2010-2017 rosters end (precision 'bound'); open if still listed
    after 2014; 2009-10-15 for agencies the FOIA chart says withdrew; else the last roster that lists it.
    Statewide agencies (state police, state prisons) have no county and are left out unless statewide_287g,
    which gives every county of the state the agreement.
    """
    obs = agency_observations()
    keys = {(state, agency_key(name)): fips for (state, name), fips in agency_counties().items()}
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
            "state": state, "agency": g.sort_values("source")["agency"].iloc[0], "key": key, "counties": counties,
            "statewide": statewide, "start": start, "end": end, "end_basis": end_basis,
            "observations": list(zip(seen["as_of"], seen["parts"])),
            "sources": ";".join(sorted({SOURCE_NAMES[s] for s in g["source"]})),
            "confidence": "high" if primary.any() else "medium",
        })
    return pd.DataFrame(out)


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


def g287_spells(tfm_end_by: str = "2012-12-31", statewide_287g: bool = False) -> pd.DataFrame:
    """County spells of the 287(g) jail (jem) and task-force (tfm) models: a hybrid agreement sets both; every
    task-force component ends by tfm_end_by; agencies in one county are unioned (spells.spell_blocks)."""
    cap = pd.Timestamp(tfm_end_by)
    parts = []
    for a in agreements(statewide_287g=statewide_287g).itertuples():
        for part in ("jem", "tfm"):
            for s, e in model_segments(a.start, a.end, a.observations, part):
                rule = f"287g:{part} model by latest roster; {a.end_basis}"
                if part == "tfm" and e > cap:
                    e, rule = cap, rule + f"; tfm ends by {tfm_end_by}"
                if e < s:
                    continue
                for f in a.counties:
                    parts.append((f, part, s, e, {"agency": a.agency, "sources": a.sources, "confidence": a.confidence, "rule": rule}))
    df = pd.DataFrame(parts, columns=["fips", "program", "s", "e", "info"])
    rows = []
    if len(df):
        df["block"] = spell_blocks(df["fips"], df["program"], df["s"], df["e"])
        for _, g in df.groupby("block", sort=True):
            infos = list(g["info"])
            conf = "medium" if any(i["confidence"] == "medium" for i in infos) else "high"
            src = "; ".join(sorted({i["agency"] for i in infos})) + " [" + ";".join(sorted({x for i in infos for x in i["sources"].split(";")})) + "]"
            rows.append((g["fips"].iloc[0], g["program"].iloc[0], iso_date(g["s"].min()), iso_date(g["e"].max()), "day", src, conf,
                         " | ".join(sorted({i["rule"] for i in infos}))))
    return pd.DataFrame(rows, columns=SPELL_COLUMNS)
