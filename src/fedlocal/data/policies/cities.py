"""Cities whose own policies cover part of a county, and the share of the county's population living in them.

A city police department's 287(g) agreement or a city's anti-detainer policy governs the city, not the county
jail. `city_policies` (a run parameter; allowed values in fedlocal.vocab.CITY_POLICIES) says how such a policy
enters the county panel: 'county' switches the whole county on, 'ignore' leaves it out (cities that run the
county jail, such as New York City, are county-level and always count), 'population_share' weights the county
by the city's share of its 2010 population (city_populations.csv: FBI Crime in the United States Table 6, the
population the city's police serve; cities without a row there get no weight).
"""

from __future__ import annotations

import io
import re
import warnings
from functools import lru_cache
from pathlib import Path

import pandas as pd

from fedlocal import registry
from fedlocal.data.counties import county_frame
from fedlocal.data.policies.spells import PolicyError


def _table() -> pd.DataFrame:
    lines = Path(__file__).with_name("city_populations.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    return pd.read_csv(io.StringIO("".join(line for line in lines if not line.startswith("#"))), dtype=str,
                       keep_default_na=False)


def _fbi_population(sheet: pd.DataFrame, label: str, msa: str) -> int | None:
    """The population of principal-city row `label` inside the MSA block whose name starts with `msa`."""
    labels = sheet.iloc[:, 1].astype(str).str.replace(r"\d+$", "", regex=True).str.strip()
    for i in sheet.index[labels == label]:
        j = i
        while j > 0 and not isinstance(sheet.iloc[j, 0], str):
            j -= 1
        if re.sub(r"\s+", " ", sheet.iloc[j, 0]).startswith(msa):
            return int(sheet.iloc[i, 2])
    return None


@lru_cache(maxsize=1)
def city_shares() -> pd.DataFrame:
    """One row per city and county: city, state, fips, city_population (FBI; empty if none), county_population
    (2010 census), share = city population / population of all its counties (a city spanning several counties is
    given the same share in each: the split by county is not in the registered data)."""
    table = _table()
    pop = county_frame().set_index("fips")["pop2010"]
    sheets = {}
    rows = []
    for r in table.itertuples():
        counties = r.county_fips.split(";")
        city_pop = None
        if r.fbi_year:
            if r.fbi_year not in sheets:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    sheets[r.fbi_year] = pd.read_excel(registry.fetch(f"fbi_cius_msa_table/cius_{r.fbi_year}_crime_by_msa.xls"),
                                                       sheet_name=0, header=None, dtype=object)
            city_pop = _fbi_population(sheets[r.fbi_year], r.fbi_label, r.fbi_msa)
            if city_pop is None:
                raise PolicyError(f"city_populations.csv: no row {r.fbi_label!r} in the {r.fbi_msa!r} block of the FBI "
                                  f"{r.fbi_year} table; correct fbi_label/fbi_msa for {r.city}.")
        total = float(pop.reindex(counties).sum())
        share = min(1.0, city_pop / total) if city_pop else 0.0
        for f in counties:
            rows.append({"city": r.city, "state": r.state, "fips": f, "city_population": city_pop,
                         "county_population": int(pop.get(f, 0)), "share": share})
    return pd.DataFrame(rows)


def city_weight(city: str, fips: str, city_policies: str) -> float:
    """Weight of a city's policy in one county under `city_policies` (1 = whole county, 0 = not counted)."""
    if city_policies == "county":
        return 1.0
    if city_policies == "ignore":
        return 0.0
    shares = city_shares()
    hit = shares[(shares["city"] == city) & (shares["fips"] == fips)]
    if hit.empty:
        raise PolicyError(f"city_populations.csv has no row for city {city!r} in county {fips}; add it.")
    return float(hit["share"].iloc[0])
