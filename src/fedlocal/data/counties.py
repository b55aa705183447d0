"""The county frame every panel shares: the 3,143 counties of the 2010 Census vintage (50 states + DC).

Sources use FIPS codes of other vintages; `to_2010` maps them onto this frame with the changes listed
in FIPS_CHANGES (renames, mergers and splits between 1995 and 2015).
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from fedlocal import registry

QUICKFACTS = "census_quickfacts_county_facts/county_facts.csv"

# old or newer code -> 2010-vintage code, with what happened (Census Bureau "substantial changes to counties").
FIPS_CHANGES = pd.DataFrame(
    [
        ("12025", "12086", "1997", "Dade County FL renamed Miami-Dade County (new code)"),
        ("51780", "51083", "1995", "South Boston city VA merged into Halifax County"),
        ("30113", "30067", "1997", "Yellowstone National Park (MT part) merged into Park County"),
        ("51560", "51005", "2001", "Clifton Forge city VA merged into Alleghany County"),
        ("02232", "02105", "2007", "Skagway-Hoonah-Angoon AK split into Hoonah-Angoon (02105) and Skagway (02230); mapped to Hoonah-Angoon"),
        ("02201", "02198", "2008", "Prince of Wales-Outer Ketchikan AK became Prince of Wales-Hyder (part to Ketchikan Gateway)"),
        ("02280", "02275", "2008", "Wrangell-Petersburg AK split into Wrangell (02275) and Petersburg (02195); mapped to Wrangell"),
        ("02158", "02270", "2015", "Wade Hampton Census Area AK renamed Kusilvak (new code 02158); 2010 code 02270"),
        ("46102", "46113", "2015", "Shannon County SD renamed Oglala Lakota County (new code 46102); 2010 code 46113"),
    ],
    columns=["from_fips", "to_fips", "year", "change"],
)
# Kept in the 2010 frame although it changed later: Bedford city VA (51515) merged into Bedford County (51019) in 2013.

# State FIPS -> USPS code, and USPS code -> name (as the rosters and NPR's extract spell it: "District Of Columbia").
STATES = {
    "01": "AL", "02": "AK", "04": "AZ", "05": "AR", "06": "CA", "08": "CO", "09": "CT", "10": "DE", "11": "DC",
    "12": "FL", "13": "GA", "15": "HI", "16": "ID", "17": "IL", "18": "IN", "19": "IA", "20": "KS", "21": "KY",
    "22": "LA", "23": "ME", "24": "MD", "25": "MA", "26": "MI", "27": "MN", "28": "MS", "29": "MO", "30": "MT",
    "31": "NE", "32": "NV", "33": "NH", "34": "NJ", "35": "NM", "36": "NY", "37": "NC", "38": "ND", "39": "OH",
    "40": "OK", "41": "OR", "42": "PA", "44": "RI", "45": "SC", "46": "SD", "47": "TN", "48": "TX", "49": "UT",
    "50": "VT", "51": "VA", "53": "WA", "54": "WV", "55": "WI", "56": "WY",
}
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


def fips5(values) -> pd.Series:
    """Zero-padded 5-digit FIPS strings from integers, floats or strings."""
    s = pd.Series(values)
    num = pd.to_numeric(s, errors="coerce")
    return pd.Series([f"{int(v):05d}" if pd.notna(v) else None for v in num], index=s.index, dtype="object")


def to_2010(values) -> pd.Series:
    """Map FIPS codes of any vintage onto the 2010 frame (codes not in FIPS_CHANGES pass through)."""
    mapping = dict(zip(FIPS_CHANGES.from_fips, FIPS_CHANGES.to_fips))
    s = fips5(values)
    return pd.Series([mapping.get(f, f) if isinstance(f, str) else None for f in s], index=s.index, dtype="object")


@lru_cache(maxsize=1)
def _frame() -> pd.DataFrame:
    qf = pd.read_csv(registry.fetch(QUICKFACTS))
    qf = qf[(qf["fips"] % 1000 != 0)]
    out = pd.DataFrame({
        "fips": fips5(qf["fips"]).values,
        "county_name": qf["county"].values,
        "state": qf["state_abbreviation"].values,
        "pop2010": qf["POP010210"].astype("int64").values,
    })
    out.insert(1, "state_fips", out["fips"].str[:2])
    return out.sort_values("fips").reset_index(drop=True)


def county_frame() -> pd.DataFrame:
    """fips, state_fips, county_name, state (USPS), pop2010 (census count) for the 3,143 counties."""
    return _frame().copy()
