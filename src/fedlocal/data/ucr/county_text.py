"""An MSA's county text as 2010 FIPS codes.

The tables write county lists in prose: 'Includes A, B, and C Counties', groups followed by a state
('... Counties, IN and ... Counties, KY'), 'part of' (pre-2003 New England), the 2005 layout's bare
lists, Virginia's independent cities, and a few misspellings. MSAs cross state lines, so a name is
looked for in the state the text gives it, else in the states of the MSA name.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from fedlocal.data.counties import STATES, county_frame
from fedlocal.data.ucr.cells import msa_states

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
    for fips, name, state in zip(cf.fips, cf.county_name, cf.state):
        d = table.setdefault(state, {})
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
        candidates = [it["state"]] if it["state"] else []
        if not candidates:
            nxt = next((s for s in explicit[k + 1:] if s), "")
            candidates = ([nxt] if nxt else []) + [s for s in states if s != nxt]
            if len(states) <= 1:
                candidates = states or candidates
        hit = None
        for state in candidates:
            d = lookup.get(state, {})
            base = _NAME_ALIASES.get((state, _norm(it["name"])), _norm(it["name"]))
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
        msa_state_codes = [s for s in str(states).split("-") if s]
        if not msa_state_codes:
            counties.append(()), unmatched.append(()), partial.append(False)
            continue
        found, miss, part = [], [], False
        for piece in str(text).split(" ; "):  # one piece per division, 'Name, MD M.D.: Includes ...'
            division, sep, body = piece.rpartition(" M.D.: ")
            division_states = (msa_states(division) if sep else []) or msa_state_codes
            piece_found, piece_missing, piece_partial = match_counties(parse_county_text(body), division_states, lookup)
            found += piece_found
            miss += piece_missing
            part = part or piece_partial
        found = sorted(set(found))
        counties.append(tuple(found)), unmatched.append(tuple(miss)), partial.append(part)
    out = msa.copy()
    out["counties"] = counties
    out["unmatched"] = unmatched
    out["partial_counties"] = partial
    out["county_pop2010"] = [int(pop.reindex(list(c)).sum()) if c else 0 for c in counties]
    return out
