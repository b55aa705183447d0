"""Checks of the built timelines against other sources: East et al.'s 287(g) county spells, the two Secure
Communities files against each other, NPR's counts of declined detainers, and facts known from the record."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import pandas as pd

from fedlocal import registry
from fedlocal.data.counties import STATE_NAMES, county_frame, to_2010
from fedlocal.data.policies.panel import FIRST_MONTH, LAST_MONTH, build_panel, counties_on, first_full_month, program_starts
from fedlocal.data.policies.sc import monthly_dates, white_dates

EAST = "deportationdata_287g/east_county_spells.csv"
NPR_DECLINED = "npr_ice_detainer_outcomes/declined_vs_everythingelse.csv"

# Jails whose anti-detainer policy is checked against NPR's declined detainers: name -> (facility name
# pattern in NPR's extract, state, county fips).
NPR_CHECKS = {"Santa Clara CA": ("santa clara co", "CA", "06085"), "Cook IL": ("cook county jail", "IL", "17031"),
              "King WA": ("king county", "WA", "53033"), "Multnomah OR": ("multnomah", "OR", "41051"),
              "Miami-Dade FL": ("dade|tgk|turner guilford", "FL", "12086")}
BULK_DECLINES = 20  # declined detainers in a year that mark a jail refusing them as a rule
AGENCY_COUNTIES = "kaplan_ori_county_crosswalk/crosswalk.rds"
# NPR's years: the screen covers the years a policy of the 2005-2014 window can show in (FOIA extract to 2015-07).
NPR_FIRST_YEAR, NPR_LAST_YEAR = 2011, 2015
# "Declined many": at least this many detainers declined in one year 2011-2014. Declines are rare events (a
# facility-year appears only with one or more, and 87% of them have fewer than 10), so ten in a year is not a
# clerk's one-off but a practice; a per-capita rule would miss large jails, and ten still catches a small jail such
# as Lea County's (14 in 2014).
MANY_DECLINES = 10
# Places in NPR's city column that are New York City boroughs (county = borough; Rikers Island is in the Bronx).
NYC_PLACES = {"BRONX": "36005", "ELMHURST": "36005", "EAST ELMHURST": "36005", "BROOKLYN": "36047",
              "MANHATTAN": "36061", "NEW YORK": "36061", "QUEENS": "36081", "STATEN ISLAND": "36085"}
NPR_NOTES = "npr_crosscheck_notes.csv"


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
            # the larger of the two: 'or' on a 0/1 panel, and defined on a city_policies=population_share panel,
            # whose programs are the covered share of the county (floats, which `|` refuses)
            x, y = m[["jem", "tfm"]].max(axis=1), m[["jem_other", "tfm_other"]].max(axis=1)
        else:
            x, y = m[prog], m[f"{prog}_other"]
        either = (x == 1) | (y == 1)
        rows.append({"program": prog, "county_months": int(len(m)), "agree_share": float((x == y).mean()),
                     "on_either": int(either.sum()), "agree_when_on_share": float((x[either] == y[either]).mean()) if either.any() else float("nan"),
                     "counties_ours": int(m.loc[x == 1, "fips"].nunique()), "counties_other": int(m.loc[y == 1, "fips"].nunique())})
    return pd.DataFrame(rows)


def sc_source_agreement() -> dict:
    """How the two SC files agree: counties in both, share with the same activation month, and counties White lacks."""
    white = white_dates().set_index("fips")["date"]
    monthly = monthly_dates().set_index("fips")["month"]
    both = white.index.intersection(monthly.index)
    same = (white[both].dt.to_period("M") == monthly[both].dt.to_period("M"))
    return {"counties_both": int(len(both)), "same_month": int(same.sum()), "share_same_month": float(same.mean()),
            "white_only": int(len(white.index.difference(monthly.index))),
            "monthly_only": int(len(monthly.index.difference(white.index)))}


def agreement_table(agree: pd.DataFrame, sc_check: dict) -> pd.DataFrame:
    """The east-agreement table: the 287(g) rows of `agreement`, then one SC row comparing the two SC files
    county by county (units are counties, every one of them 'on' in both files)."""
    n = sc_check["counties_both"]
    sc_row = pd.DataFrame([{"program": "sc (White vs monthly file, counties)", "county_months": n,
                            "agree_share": sc_check["share_same_month"], "on_either": n,
                            "agree_when_on_share": sc_check["share_same_month"], "counties_ours": n, "counties_other": n}])
    return pd.concat([agree, sc_row], ignore_index=True)


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


def named_disagreements(ours: pd.DataFrame, theirs: pd.DataFrame) -> pd.DataFrame:
    """`disagreements` with each county's name and state, largest (most months differing) first."""
    named = disagreements(ours, theirs).merge(county_frame()[["fips", "county_name", "state"]], on="fips")
    return named.sort_values("months_differ", ascending=False)


def npr_declines(pattern: str, state: str) -> pd.DataFrame:
    """NPR FOIA extract: detainers declined by jails whose name matches `pattern` (regex) in `state` (USPS), by year."""
    raw = pd.read_csv(registry.fetch(NPR_DECLINED), dtype=str, header=0)
    raw = raw.iloc[:, :5]
    raw.columns = ["year", "det_facility", "city", "state", "declined"]
    hit = raw[(raw["state"].str.upper() == STATE_NAMES[state].upper()) & raw["det_facility"].str.contains(pattern, case=False, regex=True, na=False)]
    return hit.assign(declined=pd.to_numeric(hit["declined"]), year=pd.to_numeric(hit["year"])).groupby("year")["declined"].sum().reset_index()


def npr_timing(spells: pd.DataFrame, checks: dict = NPR_CHECKS) -> pd.DataFrame:
    """Per checked jail: the county's anti-detainer start, the first year with at least BULK_DECLINES declined
    detainers, and the declined count of every year NPR lists."""
    starts = program_starts(spells, "antidetainer")
    rows = []
    for name, (pattern, state, fips) in checks.items():
        declined = npr_declines(pattern, state)
        bulk = declined.loc[declined["declined"] >= BULK_DECLINES, "year"]
        rows.append({"county": name, "policy_start": starts.get(fips, ""),
                     "first_year_20plus_declined": int(bulk.min()) if len(bulk) else None,
                     "declined_by_year": "; ".join(f"{int(y)}: {int(n)}" for y, n in zip(declined["year"], declined["declined"]))})
    return pd.DataFrame(rows)


def known_facts(spells: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """Facts from the historical record the timelines must reproduce (tests/data/policies assert them)."""
    sc_starts, antidetainer_starts = program_starts(spells, "sc"), program_starts(spells, "antidetainer")
    at = panel.set_index(["fips", "month"])[["jem", "tfm"]]
    california = county_frame().loc[lambda f: f["state"] == "CA", "fips"]
    facts = [
        ("first SC activation", sc_starts.min()),
        ("SC start, Harris County TX", sc_starts["48201"]),
        ("first month with SC in every county", first_full_month(panel, "sc")),
        ("Maricopa AZ jem/tfm, 2009-03", at.loc[("04013", "2009-03")].tolist()),
        ("Maricopa AZ jem/tfm, 2011-11", at.loc[("04013", "2011-11")].tolist()),
        ("Maricopa AZ jem/tfm, 2012-06", at.loc[("04013", "2012-06")].tolist()),
        ("anti-detainer start, San Francisco CA", antidetainer_starts.get("06075", "")),
        ("anti-detainer start, Cook IL", antidetainer_starts["17031"]),
        ("anti-detainer start, Santa Clara CA", antidetainer_starts["06085"]),
        ("California counties with anti-detainer in 2014-01",
         f"{counties_on(panel, 'antidetainer', '2014-01', california)} of {len(california)}"),
    ]
    return pd.DataFrame(facts, columns=["fact", "value"])


def disagreement_kinds(disagreements: pd.DataFrame) -> pd.Series:
    """How many county x program disagreements there are of each kind, most frequent first."""
    return disagreements["kind"].value_counts()


def _county_in_name(facility: str, state: str, names: dict) -> str:
    """FIPS of the county a facility names ('LEA COUNTY DETENTION', 'NAPA COUNTYY', 'PRINCE GEORGES CO DET'), or ''."""
    m = re.search(r"([A-Z][A-Z .'-]*?)\s+(COUNTYY?|CNTY|CTY|CO\.?|PARISH)\b", facility.upper())
    if not m:
        return ""
    words = re.sub(r"^(THE|OTHER-)\s*", "", m.group(1).strip()).replace("'", "").split()
    for k in range(len(words)):  # longest trailing run of words that is a county of the state
        hit = names.get((state, " ".join(words[k:])))
        if hit:
            return hit
    return ""


@lru_cache(maxsize=1)
def _city_counties() -> dict:
    """(CITY, USPS) -> the county most police agencies addressed in that city belong to (Kaplan's ORI crosswalk)."""
    import pyreadr

    return modal_county(next(iter(pyreadr.read_r(str(registry.fetch(AGENCY_COUNTIES))).values())))


def modal_county(crosswalk: pd.DataFrame) -> dict:
    """(CITY, USPS) -> the county most of the crosswalk's agencies in that city have; a tie goes to the county listed
    first. Counted in one grouping, not one value_counts per city (13,000 cities: 3 s)."""
    xw = crosswalk.dropna(subset=["fips_state_county_code", "address_city", "address_state"])
    pairs = pd.DataFrame({"city": xw["address_city"].str.upper().str.strip().to_numpy(),
                          "state": xw["address_state"].str.upper().to_numpy(),
                          "fips": xw["fips_state_county_code"].to_numpy()})
    counts = pairs.groupby(["city", "state", "fips"], sort=False).size().rename("agencies").reset_index()
    counts["listed"] = range(len(counts))  # groups in order of first appearance
    top = counts.sort_values(["agencies", "listed"], ascending=[False, True], kind="stable")
    top = top.drop_duplicates(["city", "state"])
    return dict(zip(zip(top["city"], top["state"]), top["fips"]))


@lru_cache(maxsize=1)
def npr_facility_years() -> pd.DataFrame:
    """NPR's declined detainers per facility and year with the facility's county: year, facility, city, state (USPS),
    declined, other (detainers with any other outcome), fips ('' when unmatched) and matched_by.

    A facility is matched by a New York borough, then a county named in the facility, then its city's county."""
    raw = pd.read_csv(registry.fetch(NPR_DECLINED), dtype=str, header=0)
    out = raw.iloc[:, :5].copy()
    out.columns = ["year", "facility", "city", "state", "declined"]
    out["other"] = pd.to_numeric(raw.iloc[:, 7], errors="coerce").fillna(0).astype(int).to_numpy()
    out["year"], out["declined"] = out["year"].astype(int), out["declined"].astype(int)
    usps = {name.upper(): code for code, name in STATE_NAMES.items()}
    out["state"] = out["state"].str.upper().map(usps).fillna("")
    frame = county_frame()
    names = {(st, n.upper().replace("'", "")): f for f, st, n in zip(frame["fips"], frame["state"], frame["county_name"])}
    cities = _city_counties()
    fips, how = [], []
    for fac, city, st in zip(out["facility"].fillna(""), out["city"].fillna("").str.upper().str.strip(), out["state"]):
        f, h = (NYC_PLACES[city], "New York City borough") if st == "NY" and city in NYC_PLACES else ("", "")
        if not f:
            f, h = _county_in_name(fac, st, names), "county named in the facility"
        if not f:
            f, h = cities.get((city, st), ""), "county of the facility's city (ORI crosswalk)"
        fips.append(f)
        how.append(h if f else "unmatched")
    matched = [f for f in fips if f]
    to_2010_fips = dict(zip(matched, to_2010(matched)))  # one call for every facility, not one per facility
    return out.assign(fips=[to_2010_fips[f] if f else "" for f in fips], matched_by=how)


def npr_county_declines(facility_years: pd.DataFrame | None = None, first: int = NPR_FIRST_YEAR,
                        last: int = NPR_LAST_YEAR) -> pd.DataFrame:
    """Per county: declined detainers in each year first..last (columns declined_<year>), their total, and the
    largest single year before 2015 (max_declined_to_2014: the years a 2005-2014 policy must explain)."""
    fy = npr_facility_years() if facility_years is None else facility_years
    fy = fy[(fy["fips"] != "") & fy["year"].between(first, last)]
    wide = fy.pivot_table(index="fips", columns="year", values="declined", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=range(first, last + 1), fill_value=0)
    wide.columns = [f"declined_{y}" for y in wide.columns]
    out = wide.assign(declined_total=wide.sum(axis=1),
                      max_declined_to_2014=wide[[c for c in wide.columns if int(c[-4:]) <= 2014]].max(axis=1))
    return out.reset_index()


def npr_notes() -> pd.DataFrame:
    """What the public record says about each county the NPR screen lists (fips, note): npr_crosscheck_notes.csv."""
    with resources.files("fedlocal.data.policies").joinpath(NPR_NOTES).open() as f:
        return pd.read_csv(f, dtype=str, keep_default_na=False)


def _coded_by(spells: pd.DataFrame) -> pd.Series:
    """fips -> the curated rows that switch its anti-detainer spell on, with how ('AD002 (state law, high)')."""
    ad = spells[spells["program"] == "antidetainer"]
    how = ad["rule"].str.extract(r"via ([^;]+)$", expand=False).fillna("")
    label = ad["sources"].str.replace("anti_detainer_policies:", "", regex=False) + " (" + how + ", " + ad["confidence"] + ")"
    return label.groupby(ad["fips"]).agg("; ".join)


def npr_listing(spells: pd.DataFrame, panel: pd.DataFrame, declines: pd.DataFrame | None = None,
                notes: pd.DataFrame | None = None, threshold: int = MANY_DECLINES) -> pd.DataFrame:
    """The NPR screen of the anti-detainer coding: every county coded anti-detainer in 2005-2014 with no declined
    detainer 2011-2015 ('coded, none declined'), and every county not coded with at least `threshold` declined in
    one year 2011-2014 ('not coded, declined many'); with its declines by year, first coded month, the curated rows
    that code it and a note on what the public record says.

    A screen, not a dater: a facility-year appears only if it declined one or more, so a county with none is one
    whose facilities never appear; ICE recorded most refusals as declined only from 2014."""
    declines = npr_county_declines() if declines is None else declines
    notes = npr_notes() if notes is None else notes
    on = panel[panel["antidetainer"] > 0]
    first_on = on.groupby("fips")["month"].min()
    d = declines.set_index("fips")
    year_cols = [c for c in declines.columns if c.startswith("declined_2")]
    coded = pd.DataFrame({"fips": first_on.index, "coded_from": first_on.to_numpy()})
    coded = coded.merge(declines, on="fips", how="left").fillna({c: 0 for c in [*year_cols, "declined_total",
                                                                                 "max_declined_to_2014"]})
    none = coded[coded["declined_total"] == 0].assign(listing="coded, none declined")
    many = d[(d["max_declined_to_2014"] >= threshold) & ~d.index.isin(first_on.index)].reset_index()
    many = many.assign(listing="not coded, declined many", coded_from="")
    out = pd.concat([many, none], ignore_index=True)
    frame = county_frame().set_index("fips")
    out["county"] = out["fips"].map(frame["county_name"]) + " " + out["fips"].map(frame["state"])
    out["pop2010"] = out["fips"].map(frame["pop2010"]).astype("int64")
    out["coded_by"] = out["fips"].map(_coded_by(spells)).fillna("")
    out["note"] = out["fips"].map(notes.set_index("fips")["note"]).fillna("")
    for c in [*year_cols, "declined_total", "max_declined_to_2014"]:
        out[c] = out[c].astype("int64")
    out = out.sort_values(["listing", "max_declined_to_2014", "pop2010"], ascending=[False, False, False])
    return out[["listing", "fips", "county", "pop2010", "coded_from", *year_cols, "declined_total", "coded_by",
                "note"]].reset_index(drop=True)
