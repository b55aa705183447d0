"""One year's FBI MSA table as MSA rows with the FBI's totals, and every year's with their county lists."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from fedlocal import registry
from fedlocal.data.ucr import CRIMES, YEARS, UcrError
from fedlocal.data.ucr.blocks import Block, parse_blocks
from fedlocal.data.ucr.cells import msa_name, msa_states
from fedlocal.data.ucr.county_text import msa_counties


def source_name(year: int) -> str:
    """Registry name of one year's table."""
    return f"fbi_cius_msa_table/cius_{year}_crime_by_msa.xls"


def read_sheet(year: int) -> pd.DataFrame:
    """The raw first sheet of one year's .xls, every cell as read (no header)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.read_excel(registry.fetch(source_name(year)), sheet_name=0, header=None, dtype=object)


def _totals(block: Block) -> dict:
    """The MSA total: the FBI's estimate, or the reporting total when (nearly) every agency reported."""
    rep, est = block.rows.get("reporting"), block.rows.get("estimated")
    share = rep["population"] if rep else np.nan
    if est is not None:
        chosen, source = est, "estimated_total"
    elif rep is not None and share >= 0.9995:
        chosen, source = rep, "total_area_reporting"
    else:
        chosen, source = {f: np.nan for f in CRIMES}, "none"
    return {"reporting_share": share, "total_source": source, **{f: chosen[f] for f in CRIMES}}


def parse_msa_sheet(sheet: pd.DataFrame, year: int) -> pd.DataFrame:
    """MSA x year estimated totals from one raw sheet (any year's layout).

    One row per MSA: msa_name (footnotes removed), states, population (the FBI's MSA estimate),
    reporting_share, total_source ('estimated_total', 'total_area_reporting' when all agencies
    reported, or 'none'), violent, murder, rape, robbery, agg_assault, county_text (the MSA's own
    'Includes' text; for MSAs with divisions 'Division name M.D.: text' joined by ' ; '), n_divisions.
    """
    rows = []
    for b in parse_blocks(sheet):
        own = " ".join(t for t in b.text if t)
        if b.divisions and (not own or "division" in own.lower()):
            text = " ; ".join(f"{d.name}: " + " ".join(d.text) for d in b.divisions)
        else:
            text = own
        rows.append({
            "year": year, "msa_name": msa_name(b.name),
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


def read_all_years(years=YEARS) -> pd.DataFrame:
    """Every year's MSA totals with their 2010-FIPS county lists."""
    return msa_counties(pd.concat([read_msa_year(y) for y in years], ignore_index=True))
