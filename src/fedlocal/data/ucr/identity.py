"""One identity per metro area over time, by county composition, and what each year's table contributes.

OMB redrew the MSAs in 2003 and 2013, so a name is not an identity: the county lists of the policy
window's tables are. Overlaps are population shares with 2010 census counts.
"""

from __future__ import annotations

import pandas as pd

from fedlocal.data.counties import county_frame
from fedlocal.data.ucr import UcrError

ANCHOR_YEARS = tuple(range(2005, 2015))  # the policy window: its tables' county lists define the MSA identities


def overlap(a: tuple | set, b: tuple | set, pop) -> float:
    """Population share two county lists have in common, from the smaller side's view:
    min(pop(A & B) / pop(A), pop(A & B) / pop(B)) with 2010 census counts (`pop`: FIPS -> count)."""
    a, b = set(a), set(b)
    if not a or not b:
        return 0.0
    get = pop.get
    # sorted: a float sum over a set would follow the hash order, which changes with PYTHONHASHSEED
    common = sum(get(c, 0.0) for c in sorted(a & b))
    pa, pb = sum(get(c, 0.0) for c in sorted(a)), sum(get(c, 0.0) for c in sorted(b))
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
    chosen_by_county: dict[str, list[int]] = {}  # a chosen list without a county in common overlaps 0 < threshold
    rows = []
    for key, n, name in zip(groups.key, groups.n_years, groups.msa_id):
        sharing = sorted({j for c in key for j in chosen_by_county.get(c, [])}) if threshold > 0 else range(len(chosen))
        if all(overlap(key, chosen[j], pop) < threshold for j in sharing):
            for c in key:
                chosen_by_county.setdefault(c, []).append(len(chosen))
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
    for k, anchor_counties in enumerate(anchor.counties):
        for c in anchor_counties:
            by_county.setdefault(c, []).append(k)
    ids, shares, anchors = [], [], []
    anchor_ids, anchor_lists = list(anchor.msa_id), list(anchor.counties)
    for counties in msa.counties:
        candidates = sorted({k for c in counties for k in by_county.get(c, [])})
        best, best_share = None, 0.0
        for k in candidates:
            s = overlap(counties, anchor_lists[k], pop)
            if s > best_share:
                best, best_share = k, s
        ok = best is not None and best_share >= threshold
        ids.append(anchor_ids[best] if ok else "")
        shares.append(best_share)
        anchors.append(anchor_lists[best] if ok else ())
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
            "pop_share_analysis": float(pop.reindex(sorted({c for counties in usable.anchor_counties for c in counties})).sum() / us),
        })
    return pd.DataFrame(rows)
