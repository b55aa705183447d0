"""Police-recorded violent crime by metropolitan area, 2000-2017, from the FBI's published MSA tables.

The FBI's "Crime in the United States" table of offenses by Metropolitan Statistical Area is the
only public, annual, multi-year offense series with county-defined geography. Each year's sheet
lists MSA blocks: a header row (name, population; from 2005 a counties column), the counties
included (in "(Includes ...)" text, sometimes wrapped over several rows, or on the header row),
principal-city rows, "Total area actually reporting" (share of population covered) and, when that
share is below one, "Estimated total" (the FBI's imputed MSA total). From 2003 large MSAs also
carry Metropolitan Division (M.D.) sub-blocks, which are parts and are skipped except for their
county lists. Layouts differ by year (12-15 columns, header on row 3 or 4, labels in one or two
columns), so columns are found from the header row, never by position.

What this module gives:
- `read_msa_year(year)` / `parse_msa_sheet(sheet, year)`: MSA x year estimated totals and the
  county text; `read_city_rows(year)`: principal-city rows (for checks).
- `msa_counties(...)`: county text -> 2010 FIPS codes (MSAs cross state lines: "KY-IN").
- `link_msas(...)`: one MSA identity over time, by county composition against the 2010 list.
- `msa_exposure(...)`, `adoption_years(...)`: population-weighted policy coverage by MSA x year.

Rape: 2000-2012 use the legacy definition. From 2013 these tables publish one rape column that
aggregates agencies reporting under the revised (broader) and legacy definitions (2017: revised
only) - a legacy-only column is not in these files. So `violent` (as published) has a definition
break in 2013; `violent_legacy_free` (murder + robbery + aggravated assault) is consistent over
all years and is the check the analysis reports beside it.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fedlocal import FedlocalError, registry
from fedlocal.data.counties import STATES, county_frame

YEARS = tuple(range(2000, 2018))
ANCHOR_YEARS = tuple(range(2005, 2015))  # the policy window: its tables' county lists define the MSA identities
CRIMES = ("violent", "murder", "rape", "robbery", "agg_assault")


class UcrError(FedlocalError):
    """An MSA table does not have the layout this parser knows."""


def source_name(year: int) -> str:
    """Registry name of one year's table."""
    return f"fbi_cius_msa_table/cius_{year}_crime_by_msa.xls"


def read_sheet(year: int) -> pd.DataFrame:
    """The raw first sheet of one year's .xls, every cell as read (no header)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.read_excel(registry.fetch(source_name(year)), sheet_name=0, header=None, dtype=object)


# ---------------------------------------------------------------- cells and labels

_FOOTNOTE_TAIL = re.compile(r"(?<=[A-Za-z.\s])\d{1,2}(?:\s*,\s*\d{1,2})*\s*$")


def clean_label(text) -> str:
    """A row label without surrounding space, line breaks or trailing footnote markers ('Akron, OH M.S.A.2, 3')."""
    if not isinstance(text, str):
        return ""
    s = " ".join(text.split())
    return _FOOTNOTE_TAIL.sub("", s).strip()


def to_number(value) -> float:
    """A table cell as a number: '-' is a zero report, blanks and text are missing."""
    if value is None:
        return np.nan
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    s = str(value).strip()
    if s in ("-", "\u2013", "\u2014"):
        return 0.0
    s = s.replace(",", "")
    try:
        return float(s)
    except ValueError:
        return np.nan


_HEADER_FIELDS = (  # (field, test on the normalized header text); first match wins, left to right
    ("population", lambda h: h.startswith("population")),
    ("violent", lambda h: h.startswith("violent")),
    ("murder", lambda h: h.startswith("murder")),
    ("rape", lambda h: "rape" in h),
    ("robbery", lambda h: h.startswith("robbery")),
    ("agg_assault", lambda h: h.startswith("aggravated")),
)


@dataclass
class Layout:
    """Where one year's sheet keeps its header, labels and numbers."""

    header_row: int
    label_cols: list[int]
    cols: dict[str, int]


def find_layout(sheet: pd.DataFrame) -> Layout:
    """Locate the header row (the one with 'Population') and the column of each field."""
    for i in range(min(len(sheet), 12)):
        texts = [" ".join(str(v).split()).lower() if isinstance(v, str) else "" for v in sheet.iloc[i]]
        if "population" not in texts:
            continue
        cols: dict[str, int] = {}
        for j, h in enumerate(texts):
            h = re.sub(r"[\d]+$", "", h).strip()
            for name, test in _HEADER_FIELDS:
                if name not in cols and h and test(h):
                    cols[name] = j
                    break
        missing = [f for f, _ in _HEADER_FIELDS if f not in cols]
        if missing:
            raise UcrError(f"MSA table header on row {i} lacks columns {missing}; found {texts}.")
        return Layout(header_row=i, label_cols=list(range(cols["population"])), cols=cols)
    raise UcrError("no header row with 'Population' in the first 12 rows of the MSA table: not a CIUS MSA table?")


_MSA = re.compile(r"M\.\s?S\.\s?A\.?$")
_MD = re.compile(r"M\.\s?D\.?$")


def _kind(label: str) -> str:
    low = label.lower()
    if _MSA.search(label):
        return "msa"
    if _MD.search(label):
        return "md"
    if low.startswith("total area actually reporting"):
        return "reporting"
    if low.startswith("estimated total"):
        return "estimated"
    if low.startswith("rate per"):
        return "rate"
    if re.match(r"^(\d{1,2}\s|note\b|dashes\b)", low):
        return "footnote"
    return "other"


# ---------------------------------------------------------------- the sheet parser

@dataclass
class _Block:
    name: str
    population: float
    text: list[str] = field(default_factory=list)
    rows: dict[str, dict] = field(default_factory=dict)
    started: bool = False  # a data row was seen (ends the county text)
    divisions: list["_Block"] = field(default_factory=list)
    cities: list[dict] = field(default_factory=list)


def _row_values(row, layout: Layout) -> dict[str, float]:
    return {f: to_number(row.iloc[j]) for f, j in layout.cols.items()}


def _parse_blocks(sheet: pd.DataFrame) -> list[_Block]:
    layout = find_layout(sheet)
    blocks: list[_Block] = []
    current: _Block | None = None  # the block rows go to: an MSA or one of its divisions
    for i in range(layout.header_row + 1, len(sheet)):
        row = sheet.iloc[i]
        texts = [clean_label(row.iloc[c]) for c in layout.label_cols]
        texts = [t for t in texts if t]
        if not texts:
            continue
        label, extra = texts[0], " ".join(texts[1:])
        kind = _kind(label)
        values = _row_values(row, layout)
        numeric = any(not np.isnan(values[f]) for f in CRIMES)
        if kind == "footnote" and not numeric:
            break
        if kind in ("msa", "md"):
            block = _Block(name=label, population=values["population"], text=[extra] if extra else [])
            if kind == "msa":
                blocks.append(block)
            elif blocks:
                blocks[-1].divisions.append(block)
            current = block
            continue
        if current is None:
            continue
        if kind in ("reporting", "estimated"):
            current.rows[kind] = values
            current.started = True
        elif kind == "rate":
            current.started = True
        elif numeric:  # a principal city ('City of X', or a name under a 'City of:' heading)
            current.started = True
            name = re.sub(r"^city of\s*:?\s*", "", label, flags=re.I).strip()
            current.cities.append({"city": name, **values})
        elif label.lower().rstrip(" :") == "city of":
            current.started = True
        elif not current.started:
            current.text.append(" ".join([label, extra]).strip())
    return blocks


def _totals(block: _Block) -> dict:
    rep, est = block.rows.get("reporting"), block.rows.get("estimated")
    share = rep["population"] if rep else np.nan
    if est is not None:
        chosen, source = est, "estimated_total"
    elif rep is not None and share >= 0.9995:
        chosen, source = rep, "total_area_reporting"
    else:
        chosen, source = {f: np.nan for f in CRIMES}, "none"
    return {"reporting_share": share, "total_source": source, **{f: chosen[f] for f in CRIMES}}


def msa_states(name: str) -> list[str]:
    """USPS codes in an MSA name ('Louisville/Jefferson County, KY-IN M.S.A.' -> ['KY', 'IN'])."""
    tail = name.split(",", 1)[1] if "," in name else ""
    valid = set(STATES.values())
    out = []
    for s in re.findall(r"\b[A-Z]{2}\b", tail):
        if s in valid and s not in out:
            out.append(s)
    return out


def parse_msa_sheet(sheet: pd.DataFrame, year: int) -> pd.DataFrame:
    """MSA x year estimated totals from one raw sheet (any year's layout).

    One row per MSA: msa_name (footnotes removed), states, population (the FBI's MSA estimate),
    reporting_share, total_source ('estimated_total', 'total_area_reporting' when all agencies
    reported, or 'none'), violent, murder, rape, robbery, agg_assault, county_text (the MSA's own
    'Includes' text; for MSAs with divisions 'Division name M.D.: text' joined by ' ; '), n_divisions.
    """
    rows = []
    for b in _parse_blocks(sheet):
        own = " ".join(t for t in b.text if t)
        if b.divisions and (not own or "division" in own.lower()):
            text = " ; ".join(f"{d.name}: " + " ".join(d.text) for d in b.divisions)
        else:
            text = own
        rows.append({
            "year": year, "msa_name": re.sub(r"\s*M\.\s?S\.\s?A\.?$", "", b.name).strip(),
            "states": "-".join(msa_states(b.name)), "population": b.population,
            **_totals(b), "county_text": text, "n_divisions": len(b.divisions),
        })
    out = pd.DataFrame(rows)
    if out.empty:
        raise UcrError(f"no MSA blocks found in the {year} MSA table.")
    out["violent_legacy_free"] = out[["murder", "robbery", "agg_assault"]].sum(axis=1, min_count=3)
    return out


def read_msa_year(year: int) -> pd.DataFrame:
    """Parsed MSA totals of one year (see `parse_msa_sheet`)."""
    if year not in YEARS:
        raise UcrError(f"MSA tables exist for {YEARS[0]}-{YEARS[-1]}, not {year}.")
    return parse_msa_sheet(read_sheet(year), year)


def read_city_rows(year: int) -> pd.DataFrame:
    """Principal-city rows of one year: msa_name, city, population and offenses (for checks against the tables)."""
    out = []
    for b in _parse_blocks(read_sheet(year)):
        msa = re.sub(r"\s*M\.\s?S\.\s?A\.?$", "", b.name).strip()
        out += [{"year": year, "msa_name": msa, **c} for c in b.cities]
    return pd.DataFrame(out)


# ---------------------------------------------------------------- county lists -> FIPS

_TYPES = {
    "counties": "county", "county": "county", "parishes": "parish", "parish": "parish", "cities": "city",
    "city": "city", "boroughs": "borough", "borough": "borough", "census areas": "census area",
    "census area": "census area", "municipalities": "municipality", "municipality": "municipality",
    "municipios": "municipio",
}
# Type words are matched case-insensitively, the state code after them only in capitals.
_TYPE_RE = re.compile(r"\b((?i:" + "|".join(sorted(_TYPES, key=len, reverse=True)) + r"))\b\.?(?:\s*[,;]?\s*\b([A-Z]{2})\b)?")
# Names the type-word grammar would cut ("James City County", "King and Queen County") and the
# tables' misspellings, fixed in the text before parsing.
_TEXT_FIXES = (
    (r"\bJames City\b", "James_City"), (r"\bCharles City\b", "Charles_City"), (r"\bKing and Queen\b", "King_and_Queen"),
    (r"\bCarson City\b", "Carson_City"), (r"\bQuachita\b", "Ouachita"), (r"\bRapppahannock\b", "Rappahannock"),
    (r"\bSedgewick\b", "Sedgwick"), (r"\bBossier City\b", "Bossier"),
)
# (state, normalized name in the tables) -> normalized name in the county frame
_NAME_ALIASES = {("IA", "pottawatomie"): "pottawattamie", ("NM", "donaana"): "doaana"}


def _norm(name: str) -> str:
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    s = s.replace("saint ", "st ").replace("st. ", "st ").replace("ste. ", "ste ")
    return re.sub(r"[^a-z]", "", s)


def _split_names(text: str) -> list[str]:
    text = re.sub(r"^[\s,;:.()]*(and\s+)?(the\s+)?", "", text.strip(), flags=re.I)
    parts = re.split(r"\s*,\s*(?:and\s+)?|\s*;\s*(?:and\s+)?|\s+and\s+", text)
    return [p.strip(" .()") for p in parts if p.strip(" .()")]


def parse_county_text(text: str) -> list[dict]:
    """County text -> [{name, type, state, partial}] (state '' when the text does not say).

    Handles 'Includes A, B, and C Counties', 'A and B Cities and C County', groups followed by a
    state ('... Counties, IN and ... Counties, KY'), 'part of' (pre-2003 New England), and the
    2005 layout's bare lists ('Callahan, Jones, and Taylor': type left empty).
    """
    t = " ".join(str(text).split())
    t = re.sub(r"\(?\s*\binclud(?:es|ed)\s+", " ", t, flags=re.I).strip()
    t = re.sub(r"\d", " ", t)  # county names have no digits: these are footnote markers ('Geneva,2,3', 'MN3and')
    for wrong, right in _TEXT_FIXES:
        t = re.sub(wrong, right, t)
    t = " ".join(t.split()).rstrip(" .)")
    out = []
    if re.search(r"district of columbia", t, re.I):
        out.append({"name": "District of Columbia", "type": "", "state": "DC", "partial": False})
        t = re.sub(r"(the\s+)?district of columbia\s*(,\s*DC)?", "", t, flags=re.I)
    pos = 0
    for m in _TYPE_RE.finditer(t):
        names_text = t[pos:m.start()]
        pos = m.end()
        kind = _TYPES[m.group(1).lower()]
        state = m.group(2) or ""
        if state and state not in STATES.values():
            state = ""
        partial = bool(re.search(r"\bparts? of\b", names_text, re.I))
        names_text = re.sub(r"\bparts? of\b", "", names_text, flags=re.I)
        for n in _split_names(names_text):
            out.append({"name": n, "type": kind, "state": state, "partial": partial})
    rest = t[pos:]
    if rest.strip(" ,;.()"):
        partial = bool(re.search(r"\bparts? of\b", rest, re.I))
        rest = re.sub(r"\bparts? of\b", "", rest, flags=re.I)
        for n in _split_names(rest):
            if n.lower() in ("and", "the", "metropolitan divisions of"):
                continue
            out.append({"name": n, "type": "", "state": "", "partial": partial})
    return out


def _lookup() -> dict[str, dict[str, list[str]]]:
    """state -> normalized name (with and without its type word) -> FIPS codes."""
    cf = county_frame()
    table: dict[str, dict[str, list[str]]] = {}
    # The frame writes most counties bare ('Taylor'), parishes and boroughs with their word ('Ouachita
    # Parish'), and Virginia's (and Baltimore's, St. Louis's) independent cities as 'Lynchburg city':
    # a bare name never finds an independent city, so 'Bedford' is the county and 'Bedford City' the city.
    suffix = re.compile(r"\s+(County|Parish|Borough|Census Area|Municipality|City and Borough)$")
    for fips, name, st in zip(cf.fips, cf.county_name, cf.state):
        d = table.setdefault(st, {})
        d.setdefault("full:" + _norm(name), []).append(fips)
        if not name.endswith(" city"):
            d.setdefault("base:" + _norm(suffix.sub("", name)), []).append(fips)
    return table


def match_counties(items: list[dict], states: list[str], lookup: dict | None = None) -> tuple[list[str], list[str], bool]:
    """Parsed county items -> (2010 FIPS codes, names not found, any partial county).

    A group without its own state takes the state of the next group that has one (the tables write
    'A and B Counties, IN and C County, KY'), else it is looked for in every state of the MSA name.
    """
    lookup = lookup or _lookup()
    found, missing = [], []
    explicit = [it["state"] for it in items]
    for k, it in enumerate(items):
        if it["state"] == "DC":
            found.append("11001")
            continue
        cands = [it["state"]] if it["state"] else []
        if not cands:
            nxt = next((s for s in explicit[k + 1:] if s), "")
            cands = ([nxt] if nxt else []) + [s for s in states if s != nxt]
            if len(states) <= 1:
                cands = states or cands
        hit = None
        for st in cands:
            d = lookup.get(st, {})
            base = _NAME_ALIASES.get((st, _norm(it["name"])), _norm(it["name"]))
            if it["type"] == "city":  # 'Bedford City' must not fall back to Bedford County
                keys = ["full:" + base + "city"]
            elif it["type"]:
                keys = ["full:" + base + _norm(it["type"]), "base:" + base]
            else:
                keys = ["base:" + base, "full:" + base]
            for key in keys:
                if key in d:
                    codes = d[key]
                    hit = codes[0] if len(codes) == 1 else next(
                        (c for c in codes if not re.search(r"city$", _fips_name(c), re.I)), codes[0])
                    break
            if hit:
                break
        if hit:
            found.append(hit)
        else:
            missing.append(f"{it['name']} {it['type']}".strip() + (f", {it['state']}" if it["state"] else ""))
    partial = any(it["partial"] for it in items)
    return sorted(set(found)), missing, partial


def _fips_name(code: str) -> str:
    cf = county_frame().set_index("fips")
    return str(cf.county_name.get(code, ""))


def msa_counties(msa: pd.DataFrame) -> pd.DataFrame:
    """Add counties (tuple of 2010 FIPS), unmatched (names not found), partial_counties and
    county_pop2010 to parsed MSA rows. MSAs outside the 50 states + DC (Puerto Rico) get no counties."""
    lookup = _lookup()
    pop = county_frame().set_index("fips").pop2010
    counties, unmatched, partial = [], [], []
    for text, states in zip(msa.county_text, msa.states):
        st = [s for s in str(states).split("-") if s]
        if not st:
            counties.append(()), unmatched.append(()), partial.append(False)
            continue
        found, miss, part = [], [], False
        for piece in str(text).split(" ; "):  # one piece per division, 'Name, MD M.D.: Includes ...'
            division, sep, body = piece.rpartition(" M.D.: ")
            f, m_, p_ = match_counties(parse_county_text(body), (msa_states(division) if sep else []) or st, lookup)
            found += f
            miss += m_
            part = part or p_
        found = sorted(set(found))
        counties.append(tuple(found)), unmatched.append(tuple(miss)), partial.append(part)
    out = msa.copy()
    out["counties"] = counties
    out["unmatched"] = unmatched
    out["partial_counties"] = partial
    out["county_pop2010"] = [int(pop.reindex(list(c)).sum()) if c else 0 for c in counties]
    return out


def read_all_years(years=YEARS) -> pd.DataFrame:
    """Every year's MSA totals with their 2010-FIPS county lists."""
    return msa_counties(pd.concat([read_msa_year(y) for y in years], ignore_index=True))


# ---------------------------------------------------------------- identity over time

def overlap(a: tuple | set, b: tuple | set, pop) -> float:
    """Population share two county lists have in common, from the smaller side's view:
    min(pop(A & B) / pop(A), pop(A & B) / pop(B)) with 2010 census counts (`pop`: FIPS -> count)."""
    a, b = set(a), set(b)
    if not a or not b:
        return 0.0
    get = pop.get
    common = sum(get(c, 0.0) for c in a & b)
    pa, pb = sum(get(c, 0.0) for c in a), sum(get(c, 0.0) for c in b)
    return float(min(common / pa, common / pb)) if pa > 0 and pb > 0 else 0.0


def anchor_compositions(msa: pd.DataFrame, threshold: float, anchor_years=ANCHOR_YEARS) -> pd.DataFrame:
    """The MSA identities: distinct county lists of the policy-window tables, most frequent first.

    A list becomes an identity unless it shares at least `threshold` of population with one already
    chosen (so minor redefinitions within the window fold into the more frequent list). Its name is the
    MSA name of the latest table that printed exactly that list. Returns msa_id, counties, n_years.
    """
    pop = county_frame().set_index("fips").pop2010.astype(float).to_dict()
    w = msa[msa.year.isin(list(anchor_years)) & (msa.counties.map(len) > 0)]
    groups = (w.assign(key=w.counties.map(tuple)).sort_values("year")
              .groupby("key", sort=False).agg(n_years=("year", "size"), msa_id=("msa_name", "last")).reset_index())
    groups["pop"] = [sum(pop.get(c, 0.0) for c in k) for k in groups.key]
    groups = groups.sort_values(["n_years", "pop", "msa_id"], ascending=[False, False, True])
    chosen: list[tuple] = []
    rows = []
    for key, n, name in zip(groups.key, groups.n_years, groups.msa_id):
        if all(overlap(key, c, pop) < threshold for c in chosen):
            chosen.append(key)
            rows.append({"msa_id": name, "counties": key, "n_years": int(n)})
    out = pd.DataFrame(rows)
    dup = out.msa_id.duplicated(keep=False)  # one name printed for two different county lists
    out.loc[dup, "msa_id"] = [f"{n} ({c[0]})" for n, c in zip(out.msa_id[dup], out.counties[dup])]
    return out.sort_values("msa_id").reset_index(drop=True)


def link_msas(msa: pd.DataFrame, threshold: float = 0.9, anchor_years=ANCHOR_YEARS) -> pd.DataFrame:
    """One identity per MSA over time, by county composition.

    Identities are the county lists of the policy-window tables (`anchor_compositions`). Every year's
    MSA joins the identity it shares the most population with, if that share (both ways, see
    `overlap`) is at least `threshold`; otherwise it is kept with msa_id empty (a pre-2003 MSA much
    smaller or larger than its successor, a 2013 redelineation that added or split counties), so the
    coverage table counts what was dropped. With threshold > 0.5 two MSAs of one year (disjoint
    county lists) can never join the same identity. Adds msa_id, match_share, anchor_counties.
    """
    if not 0.5 < threshold <= 1.0:
        raise UcrError(f"msa_match_threshold must be in (0.5, 1]; got {threshold}.")
    pop = county_frame().set_index("fips").pop2010.astype(float).to_dict()
    anchor = anchor_compositions(msa, threshold, anchor_years)
    if anchor.empty:
        raise UcrError(f"no MSAs with counties in the anchor years {list(anchor_years)}.")
    by_county: dict[str, list[int]] = {}
    for k, cs in enumerate(anchor.counties):
        for c in cs:
            by_county.setdefault(c, []).append(k)
    ids, shares, anchors = [], [], []
    for cs in msa.counties:
        cands = sorted({k for c in cs for k in by_county.get(c, [])})
        best, best_share = None, 0.0
        for k in cands:
            s = overlap(cs, anchor.counties.iloc[k], pop)
            if s > best_share:
                best, best_share = k, s
        ok = best is not None and best_share >= threshold
        ids.append(anchor.msa_id.iloc[best] if ok else "")
        shares.append(best_share)
        anchors.append(anchor.counties.iloc[best] if ok else ())
    out = msa.copy()
    out["msa_id"] = ids
    out["match_share"] = shares
    out["anchor_counties"] = anchors
    dup = out[out.msa_id != ""].duplicated(["msa_id", "year"])
    if dup.any():
        raise UcrError("two MSAs of one year joined the same identity; this cannot happen with threshold > 0.5.")
    return out


def coverage_by_year(linked: pd.DataFrame) -> pd.DataFrame:
    """Per year: MSAs in the table, with an estimated total, with counties matched, linked to the anchor
    identity, and their share of the US (50 states + DC) 2010 population by anchor counties."""
    us = county_frame().pop2010.sum()
    pop = county_frame().set_index("fips").pop2010
    rows = []
    for y, g in linked.groupby("year"):
        usable = g[(g.msa_id != "") & g.violent.notna()]
        rows.append({
            "year": int(y), "msas_in_table": len(g), "with_estimated_total": int(g.violent.notna().sum()),
            "with_counties": int((g.counties.map(len) > 0).sum()), "linked": int((g.msa_id != "").sum()),
            "analysis": len(usable),
            "pop_share_analysis": float(pop.reindex(sorted({c for cs in usable.anchor_counties for c in cs})).sum() / us),
        })
    return pd.DataFrame(rows)


def analysis_panel(linked: pd.DataFrame) -> pd.DataFrame:
    """MSA x year rows usable for analysis: linked, with an estimated violent-crime total and positive
    population; rates per 100,000 and log rates (log of rate + 1 keeps zero counts)."""
    p = linked[(linked.msa_id != "") & linked.violent.notna() & (linked.population > 0)].copy()
    for c in ("violent", "violent_legacy_free", "murder", "robbery", "agg_assault"):
        p[f"{c}_rate"] = 1e5 * p[c] / p.population
    p["log_violent_rate"] = np.log(p.violent_rate + 1.0)
    p["log_violent_legacy_free_rate"] = np.log(p.violent_legacy_free_rate + 1.0)
    return p.sort_values(["msa_id", "year"]).reset_index(drop=True)


# ---------------------------------------------------------------- policy exposure by MSA x year

POLICIES = ("sc", "jem", "tfm", "antidetainer")
POLICY_FIRST, POLICY_LAST = 2005, 2014


def county_year_exposure(panel: pd.DataFrame, years=YEARS) -> pd.DataFrame:
    """County x year share of months each policy was in force, 2000-2017, from the 2005-2014 monthly panel.

    Outside the panel's window: 2000-2004 are 0 for every policy (SC began in October 2008, the first
    county 287(g) agreements and anti-detainer policies came later; state-agency 287(g) agreements are
    not county policies). 2015-2017: SC is missing - it was suspended in November 2014 and replaced by
    PEP while fingerprint sharing went on, so neither 0 nor 1 is right; 287(g) jail agreements and
    anti-detainer policies keep their December 2014 status (spells that were open stay open; new
    adoptions after 2014 are not in the data); task-force agreements ended in 2012 and stay 0.
    """
    need = {"fips", "month", *POLICIES}
    if not need <= set(panel.columns):
        raise UcrError(f"policy panel lacks columns {sorted(need - set(panel.columns))}; expected data/policy-panel.parquet from stage 01.")
    p = panel[["fips", "month", *POLICIES]].copy()
    p["year"] = p.month.astype(str).str[:4].astype(int)
    inside = p.groupby(["fips", "year"], as_index=False)[list(POLICIES)].mean()
    dec = p[p.month.astype(str) == f"{POLICY_LAST}-12"].set_index("fips")[list(POLICIES)]
    frames = [inside[inside.year.between(POLICY_FIRST, POLICY_LAST)]]
    fips = sorted(p.fips.unique())
    for y in years:
        if y < POLICY_FIRST:
            frames.append(pd.DataFrame({"fips": fips, "year": y, **{k: 0.0 for k in POLICIES}}))
        elif y > POLICY_LAST:
            d = dec.reindex(fips).astype(float)
            frames.append(pd.DataFrame({"fips": fips, "year": y, "sc": np.nan, "jem": d.jem.values,
                                        "tfm": 0.0, "antidetainer": d.antidetainer.values}))
    out = pd.concat(frames, ignore_index=True)
    return out[out.year.isin(list(years))].sort_values(["fips", "year"]).reset_index(drop=True)


def msa_exposure(identities: pd.DataFrame, county_exposure: pd.DataFrame, county_pop: pd.DataFrame | None = None) -> pd.DataFrame:
    """Population-weighted share of each MSA's counties covered by each policy, every year.

    `identities` has msa_id and counties (the identity's county list, e.g. `anchor_compositions` or
    the linked rows' anchor_counties); `county_exposure` fips, year and the policy columns (see
    `county_year_exposure`); `county_pop` optional fips, year, population (county covariates,
    2005-2014) - years or counties it lacks use the 2010 census count. Returns msa_id, year and one
    column per policy in [0, 1] (the share of the MSA's person-months under the policy) for every
    year of `county_exposure`, whether or not the FBI table has the MSA that year - so an adoption
    year does not depend on which years an MSA's crime counts were published.
    """
    cf = county_frame()[["fips", "pop2010"]]
    ids = identities[["msa_id", "counties"]].drop_duplicates("msa_id").explode("counties").rename(columns={"counties": "fips"})
    long = ids.merge(county_exposure, on="fips", how="inner").merge(cf, on="fips", how="left")
    if county_pop is not None:
        long = long.merge(county_pop[["fips", "year", "population"]], on=["fips", "year"], how="left")
        long["weight"] = long.population.fillna(long.pop2010).astype(float)
    else:
        long["weight"] = long.pop2010.astype(float)
    out = long[["msa_id", "year"]].drop_duplicates().set_index(["msa_id", "year"]).sort_index()
    for k in POLICIES:
        num = (long[k] * long.weight).groupby([long.msa_id, long.year]).sum(min_count=1)
        den = long.weight.groupby([long.msa_id, long.year]).sum()
        has_nan = long[k].isna().groupby([long.msa_id, long.year]).any()
        out[k] = (num / den).where(~has_nan)
    return out.reset_index()


def adoption_years(exposure: pd.DataFrame, policy: str, share: float = 0.5) -> pd.Series:
    """First year each MSA's exposure to `policy` reaches `share` (0 = never, the convention of
    Callaway-Sant'Anna software). Exposure is the population-weighted share of person-months, so an
    MSA whose counties all switch on in November counts from the next year."""
    e = exposure.dropna(subset=[policy])
    first = e[e[policy] >= share].groupby("msa_id").year.min()
    return first.reindex(sorted(exposure.msa_id.unique())).fillna(0).astype(int).rename(f"{policy}_adoption_year")
