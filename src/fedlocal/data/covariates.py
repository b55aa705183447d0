"""County x year covariates 2005-2014 on the 2010 county frame, from public Census, ACS, BLS and NCHS files.

The study controls for county composition and economy. Most sources are *period* estimates (a census
count, an ACS 5-year average), so each one is an **anchor**: a value placed at the period's midpoint.
`annualize` turns anchors into calendar-year values by one rule: linear interpolation between
neighbouring anchors, carried flat beyond the first and last anchor. Unemployment is annual already
(BLS LAUS annual averages, read from the raw BLS text files).

Anchor years (midpoints): census 2000 and 2010 counts -> 2000, 2010; census 2000 poverty (1999
incomes) -> 1999; ACS 2006-2010 -> 2008; ACS 2009-2013 -> 2011; ACS 2012-2016 -> 2014; Census
population estimates (July 1) and QuickFacts 2014 estimates -> their year.

Not here, on purpose: police officers per capita and % recent immigrants (no public county source in
hand); the columns are absent rather than imputed.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

from fedlocal import registry
from fedlocal.data.counties import county_frame, to_2010

YEARS = tuple(range(2005, 2015))

COUNTY_COMPLETE = "usdata_county_complete/county_complete.rda"
OPPORTUNITY = "opportunity_insights_cty_covariates/cty_covariates.csv"
QUICKFACTS = "census_quickfacts_county_facts/county_facts.csv"
NCHS = "ers_nchs_county_codes/NCHSURCodes2013_fips_code.csv"


def laus_name(year: int) -> str:
    return f"bls_laus_county/laucnty_{year}.txt"


COLUMNS = ["fips", "year", "population", "pct_latino", "pct_black", "pct_white_nh", "pct_foreign_born",
           "poverty_rate", "median_hh_income", "unemployment_rate", "pct_same_house", "pct_owner",
           "urban_rural", "metro", "region", "border", "new_destination"]

# What each column is and where its anchors come from (printed by the notebook, written to data/README).
SOURCES = pd.DataFrame(
    [
        ("population", "residents", "census 2000 and 2010 counts, PEP July estimates 2011-2014 (usdata county_complete)",
         "2000, 2010, 2011-2014"),
        ("pct_latino", "% Hispanic/Latino, any race", "census 2000 (Opportunity Insights), census 2010 (county_complete), "
         "PEP 2014 (QuickFacts)", "2000, 2010, 2014"),
        ("pct_black", "% non-Latino Black", "census 2000 and 2010 (Opportunity Insights, non-Hispanic Black); 2011-2014 "
         "add the 2010-2014 change in % Black alone (county_complete 2010, QuickFacts 2014)", "2000, 2010, 2014"),
        ("pct_white_nh", "% non-Latino white", "census 2000 (Opportunity Insights), census 2010 (county_complete), "
         "PEP 2014 (QuickFacts)", "2000, 2010, 2014"),
        ("pct_foreign_born", "% born outside the US", "ACS 2006-2010 (county_complete), ACS 2009-2013 (QuickFacts)",
         "2008, 2011"),
        ("poverty_rate", "% of persons below the poverty line", "census 2000 (Opportunity Insights), ACS 2006-2010 "
         "(county_complete), ACS 2009-2013 (QuickFacts), ACS 2012-2016 (county_complete)", "1999, 2008, 2011, 2014"),
        ("median_hh_income", "median household income, nominal dollars of each ACS period",
         "ACS 2006-2010 (county_complete), ACS 2009-2013 (QuickFacts), ACS 2012-2016 (county_complete)",
         "2008, 2011, 2014"),
        ("unemployment_rate", "% of the civilian labour force unemployed, annual average",
         "BLS LAUS county annual averages (raw laucntyYY files)", "2005-2014 (each year)"),
        ("pct_same_house", "% living in the same house one year earlier", "ACS 2006-2010 (county_complete), "
         "ACS 2009-2013 (QuickFacts)", "2008, 2011"),
        ("pct_owner", "% of occupied housing units owner-occupied", "ACS 2006-2010 (county_complete), "
         "ACS 2009-2013 (QuickFacts)", "2008, 2011"),
        ("urban_rural", "NCHS 2013 urban-rural code: 1 large central metro ... 6 noncore", "NCHS 2013 scheme", "2013 (fixed)"),
        ("metro", "1 = metropolitan county (NCHS codes 1-4 = OMB 2013 metro)", "NCHS 2013 scheme", "2013 (fixed)"),
        ("region", "census region of the state", "Census Bureau regions", "fixed"),
        ("border", "county on the US-Mexico land border", "BORDER_COUNTIES (documented list)", "fixed"),
        ("new_destination", "new Latino destination (see NEW_DESTINATION_RULE)",
         "census 2000 and 2010 Latino counts", "2000-2010 (fixed)"),
    ],
    columns=["column", "meaning", "source", "anchor years"],
)

REGIONS = {
    "Northeast": ["09", "23", "25", "33", "44", "50", "34", "36", "42"],
    "Midwest": ["17", "18", "26", "39", "55", "19", "20", "27", "29", "31", "38", "46"],
    "South": ["10", "11", "12", "13", "24", "37", "45", "51", "54", "01", "21", "28", "47", "05", "22", "40", "48"],
    "West": ["04", "08", "16", "30", "32", "35", "49", "56", "02", "06", "15", "41", "53"],
}
STATE_REGION = {st: region for region, states in REGIONS.items() for st in states}

# The 22 counties whose boundary touches the US-Mexico land border, west to east: 2 in California, 4 in
# Arizona, 3 in New Mexico and the 13 Rio Grande counties of Texas from El Paso to Cameron. Compiled for
# this project from the Census Bureau's county boundaries (TIGER/Line counties against the international
# boundary); some published lists count 23. It is *not* the 100-km "border region" of the 1983 La Paz
# Agreement used by the US-Mexico Border Health Commission, a larger set of counties.
BORDER_COUNTIES = {
    "06073": "San Diego County, CA", "06025": "Imperial County, CA",
    "04027": "Yuma County, AZ", "04019": "Pima County, AZ", "04023": "Santa Cruz County, AZ", "04003": "Cochise County, AZ",
    "35023": "Hidalgo County, NM", "35029": "Luna County, NM", "35013": "Dona Ana County, NM",
    "48141": "El Paso County, TX", "48229": "Hudspeth County, TX", "48377": "Presidio County, TX",
    "48043": "Brewster County, TX", "48443": "Terrell County, TX", "48465": "Val Verde County, TX",
    "48271": "Kinney County, TX", "48323": "Maverick County, TX", "48479": "Webb County, TX",
    "48505": "Zapata County, TX", "48427": "Starr County, TX", "48215": "Hidalgo County, TX",
    "48061": "Cameron County, TX",
}

# Immigration history, after Lichter & Johnson (2009, International Migration Review 43(3)), moved to the
# 2000s: a county is a *new Latino destination* if Latinos were under 10% of its people in 2000 (not an
# established gateway), it had at least 1,000 Latino residents in 2010, and its Latino population at
# least doubled between the 2000 and 2010 censuses.
NEW_DESTINATION_RULE = {"max_share_2000": 10.0, "min_latino_2010": 1000, "min_growth": 1.0}


# ---- the annualization rule

def annualize(anchors: pd.DataFrame, years=YEARS) -> pd.DataFrame:
    """Annual values from period anchors (columns fips, at, value): linear between anchors, flat beyond them.

    `at` is the anchor's position in calendar years (an ACS 2006-2010 estimate sits at 2008). Missing
    values are ignored; a county with no anchor at all gets missing values (left visible, not filled).
    """
    a = anchors.dropna(subset=["value", "fips"]).sort_values(["fips", "at"])
    years = np.asarray(list(years), dtype=float)
    if len(a) == 0:
        return pd.DataFrame(columns=["fips", "year", "value"])
    # all counties at once (one np.interp per county was a DataFrame per county x variable, ~28,000 of them);
    # the arithmetic is np.interp's: slope (v[j+1]-v[j])/(t[j+1]-t[j]) times (year - t[j]) plus v[j]
    code, counties = pd.factorize(a["fips"], sort=True)
    at, val = a["at"].to_numpy(float), a["value"].to_numpy(float)
    same = (code[1:] == code[:-1]) & (at[1:] == at[:-1])
    if same.any():
        c = code[1:][same][0]
        raise ValueError(f"county {counties[c]}: two anchors at the same position {at[code == c].tolist()}")
    n_counties = len(counties)
    size = np.bincount(code, minlength=n_counties)
    start = np.r_[0, np.cumsum(size)[:-1]]
    value = np.empty((n_counties, len(years)))
    for i, x in enumerate(years):
        below = np.bincount(code, weights=at <= x, minlength=n_counties).astype(int)  # anchors at or before x
        j = start + np.maximum(below - 1, 0)
        inside = (below > 0) & (below < size)
        k = np.minimum(j + 1, len(at) - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = (val[k] - val[j]) / (at[k] - at[j])
            v = slope * (x - at[j]) + val[j]
        v = np.where(inside, v, np.where(below == 0, val[start], val[start + size - 1]))
        value[:, i] = v
    return pd.DataFrame({"fips": np.repeat(np.asarray(counties, dtype=object), len(years)),
                         "year": np.tile(years.astype(int), n_counties), "value": value.ravel()})


def _anchors(frame: pd.DataFrame, spec: dict[float, str]) -> pd.DataFrame:
    """Long anchors from wide columns: spec maps anchor position -> column name."""
    parts = [pd.DataFrame({"fips": frame["fips"], "at": float(at), "value": pd.to_numeric(frame[col], errors="coerce")})
             for at, col in spec.items()]
    return pd.concat(parts, ignore_index=True)


# ---- readers (one per raw source)

def _keyed(df: pd.DataFrame, fips) -> pd.DataFrame:
    """Attach 2010-vintage fips, keep frame counties, one row per county (first on duplicates)."""
    df = df.copy()
    df["fips"] = to_2010(fips).values
    keep = set(county_frame()["fips"])
    return df[df["fips"].isin(keep)].drop_duplicates("fips").reset_index(drop=True)


def county_complete() -> pd.DataFrame:
    """usdata county_complete, read from the package's .rda (the PEP 2011+ columns are text there)."""
    import pyreadr

    df = pyreadr.read_r(str(registry.fetch(COUNTY_COMPLETE)))["county_complete"]
    df = pd.DataFrame({c: (pd.to_numeric(df[c], errors="coerce") if c not in ("state", "name") else df[c].astype(str))
                       for c in df.columns})
    return _keyed(df, df["fips"])


def opportunity() -> pd.DataFrame:
    """Opportunity Insights county covariates; shares turned into percentages."""
    df = pd.read_csv(registry.fetch(OPPORTUNITY))
    for c in [c for c in df.columns if c.startswith(("share_", "poor_share", "foreign_share"))]:
        df[c] = df[c] * 100
    return _keyed(df, df["state"] * 1000 + df["county"])


def quickfacts() -> pd.DataFrame:
    """Census QuickFacts county rows (state and US rows dropped).

    A county without a 2014 population estimate (Bedford city VA, merged in 2013) has zeros in every
    2014 column (names ending in 214); they are set missing, not read as 0%.
    """
    df = pd.read_csv(registry.fetch(QUICKFACTS))
    df = df[df["fips"] % 1000 != 0].copy()
    no_2014 = df["PST045214"] == 0
    for c in [c for c in df.columns if c.endswith("214")]:
        df[c] = df[c].astype(float).mask(no_2014)
    return _keyed(df, df["fips"])


def nchs_codes() -> pd.DataFrame:
    """NCHS 2013 urban-rural code per county (1 large central metro ... 6 noncore)."""
    df = pd.read_csv(registry.fetch(NCHS))
    out = _keyed(pd.DataFrame({"urban_rural": df["2013_code"].astype(int)}), df["fips_code"])
    return out[["fips", "urban_rural"]]


# LAUS area -> a frame county it also covers: Alaska areas split in 2007-2008 (before the split both
# successors take the old area's rate; FIPS_CHANGES maps the old code to the other successor), and
# Bedford city VA, which LAUS publishes together with Bedford County.
LAUS_SHARED = {"02232": "02230", "02280": "02195", "51019": "51515"}

_LAUS_LINE = re.compile(r"^CN\d{13}\s+(\d{2})\s+(\d{3})\s")


def parse_laus(text: str) -> pd.DataFrame:
    """Rows of a BLS LAUS annual county text file: fips, year, labor_force, employed, unemployed, unemployment_rate.

    Layout: LAUS code, state and county FIPS, a 50-character name, then year, labour force, employed,
    unemployed level and rate, right-aligned, thousands commas; "N.A." where BLS published nothing.
    """
    rows = []
    for line in io.StringIO(text):
        m = _LAUS_LINE.match(line)
        if not m:
            continue
        tokens = line[81:].split()
        nums = [np.nan if t == "N.A." else float(t.replace(",", "")) for t in tokens[1:]]
        nums += [np.nan] * (4 - len(nums))
        rows.append((m.group(1) + m.group(2), int(tokens[0]), *nums[:4]))
    out = pd.DataFrame(rows, columns=["fips", "year", "labor_force", "employed", "unemployed", "unemployment_rate"])
    if out.empty:
        raise ValueError("no county rows (lines starting with 'CN') found: not a BLS LAUS county file")
    return out


def unemployment(years=YEARS) -> pd.DataFrame:
    """fips, year, unemployment_rate from the raw BLS files; missing where BLS published none."""
    parts = [parse_laus(registry.fetch(laus_name(y)).read_text()) for y in years]
    df = pd.concat(parts, ignore_index=True)
    df["copied"] = False
    for old, new in LAUS_SHARED.items():
        df = pd.concat([df, df[df["fips"] == old].assign(fips=new, copied=True)], ignore_index=True)
    mapped = to_2010(df["fips"])
    df["copied"] |= (mapped != df["fips"]).to_numpy()
    df["fips"] = mapped.to_numpy()
    df = df[df["fips"].isin(set(county_frame()["fips"]))]
    # a county's own row wins over a row carried from an older code or a pre-split area
    df = df.sort_values(["fips", "year", "copied"], kind="stable").drop_duplicates(["fips", "year"])
    return df[["fips", "year", "unemployment_rate"]].reset_index(drop=True)


# ---- fixed county attributes

def new_destination(latino_2000: pd.Series, latino_2010: pd.Series, share_2000: pd.Series,
                    rule: dict = NEW_DESTINATION_RULE) -> pd.Series:
    """True for new Latino destinations (NEW_DESTINATION_RULE); counts and share aligned on one index."""
    growth = latino_2010 / latino_2000.where(latino_2000 > 0) - 1
    return ((share_2000 < rule["max_share_2000"]) & (latino_2010 >= rule["min_latino_2010"])
            & ((growth >= rule["min_growth"]) | ((latino_2000 == 0) & (latino_2010 > 0)))).fillna(False)


def fixed_attributes(cc: pd.DataFrame | None = None, oi: pd.DataFrame | None = None) -> pd.DataFrame:
    """fips, urban_rural, metro, region, border, new_destination: one row per frame county.

    cc, oi: already read county_complete() and opportunity() frames (read here when not given).
    """
    frame = county_frame()[["fips", "state_fips"]]
    cc = (county_complete() if cc is None else cc).set_index("fips")
    oi = (opportunity() if oi is None else oi).set_index("fips")
    out = frame.merge(nchs_codes(), on="fips", how="left")
    out["metro"] = (out["urban_rural"] <= 4).astype("Int8").where(out["urban_rural"].notna())
    out["urban_rural"] = out["urban_rural"].astype("Int8")
    out["region"] = out["state_fips"].map(STATE_REGION)
    out["border"] = out["fips"].isin(BORDER_COUNTIES)
    f = out["fips"]
    pop2000, pop2010 = cc["pop2000"].reindex(f), cc["pop2010"].reindex(f)
    share2000 = oi["share_hisp2000"].reindex(f)
    lat2000 = (share2000 / 100 * pop2000).round()
    lat2010 = (cc["hispanic_2010"].reindex(f) / 100 * pop2010).round()
    out["new_destination"] = new_destination(lat2000, lat2010, share2000).to_numpy()
    return out.drop(columns="state_fips")


# ---- the panel

def _annual(anchors: pd.DataFrame, name: str) -> pd.DataFrame:
    return annualize(anchors).rename(columns={"value": name})


def build_covariates(years=YEARS) -> pd.DataFrame:
    """The county x year panel (columns COLUMNS), every frame county x every year."""
    frame = county_frame()[["fips"]]
    cc, oi, qf = county_complete(), opportunity(), quickfacts()

    pop = _anchors(cc, {2000: "pop2000", 2010: "pop2010", 2011: "pop2011", 2012: "pop2012", 2013: "pop2013",
                        2014: "pop2014"})
    # counties absent from county_complete (Bedford city VA, merged in 2013) keep their census 2010 count
    absent = county_frame().loc[lambda f: ~f["fips"].isin(cc["fips"]), ["fips", "pop2010"]]
    pop = pd.concat([pop, _anchors(absent, {2010: "pop2010"})], ignore_index=True)
    latino = pd.concat([_anchors(oi, {2000: "share_hisp2000"}), _anchors(cc, {2010: "hispanic_2010"}),
                        _anchors(qf, {2014: "RHI725214"})])
    white = pd.concat([_anchors(oi, {2000: "share_white2000"}), _anchors(cc, {2010: "white_not_hispanic_2010"}),
                       _anchors(qf, {2014: "RHI825214"})])
    # non-Latino Black: OI's census shares 2000 and 2010; 2014 = OI 2010 + the 2010-2014 change in Black alone.
    black = oi[["fips", "share_black2000", "share_black2010"]].merge(
        cc[["fips", "black_2010"]], on="fips", how="outer").merge(qf[["fips", "RHI225214"]], on="fips", how="outer")
    black["b2010"] = black["share_black2010"].fillna(black["black_2010"])
    black["b2014"] = black["b2010"] + (black["RHI225214"] - black["black_2010"])
    black = _anchors(black, {2000: "share_black2000", 2010: "b2010", 2014: "b2014"})
    foreign = pd.concat([_anchors(cc, {2008: "foreign_born_2010"}), _anchors(qf, {2011: "POP645213"})])
    poverty = pd.concat([_anchors(oi, {1999: "poor_share2000"}), _anchors(cc, {2008: "poverty_2010", 2014: "poverty_2016"}),
                         _anchors(qf, {2011: "PVY020213"})])
    income = pd.concat([_anchors(cc, {2008: "median_household_income_2010", 2014: "median_household_income_2016"}),
                        _anchors(qf, {2011: "INC110213"})])
    same = pd.concat([_anchors(cc, {2008: "no_move_in_one_plus_year_2010"}), _anchors(qf, {2011: "POP715213"})])
    owner = pd.concat([_anchors(cc, {2008: "homeownership_2010"}), _anchors(qf, {2011: "HSG445213"})])

    grid = pd.MultiIndex.from_product([frame["fips"], list(years)], names=["fips", "year"]).to_frame(index=False)
    panel = grid
    for name, anchors in [("population", pop), ("pct_latino", latino), ("pct_black", black), ("pct_white_nh", white),
                          ("pct_foreign_born", foreign), ("poverty_rate", poverty), ("median_hh_income", income)]:
        panel = panel.merge(_annual(anchors, name), on=["fips", "year"], how="left")
    panel = panel.merge(unemployment(years), on=["fips", "year"], how="left")
    for name, anchors in [("pct_same_house", same), ("pct_owner", owner)]:
        panel = panel.merge(_annual(anchors, name), on=["fips", "year"], how="left")
    panel = panel.merge(fixed_attributes(cc, oi), on="fips", how="left")
    panel["population"] = panel["population"].round().astype("Int64")
    panel["year"] = panel["year"].astype("int16")
    panel["fips"] = panel["fips"].astype(object)
    return panel[COLUMNS].sort_values(["fips", "year"]).reset_index(drop=True)


def missing_cells(panel: pd.DataFrame) -> pd.DataFrame:
    """Counties x columns with missing values (to print: gaps stay visible)."""
    cols = [c for c in COLUMNS if c not in ("fips", "year")]
    miss = panel[cols].isna()
    rows = [(c, int(miss[c].sum()), ", ".join(sorted(panel.loc[miss[c], "fips"].unique())[:10]))
            for c in cols if miss[c].any()]
    return pd.DataFrame(rows, columns=["column", "missing county-years", "counties (first 10)"])


# ---- describing the panel

DESCRIBE_YEAR = 2010  # the census year: fixed attributes and counts are read in it
# County-years printed beside the panel as a check against published figures: (fips, column, year).
SPOT_CHECKS = [("06037", "population", 2010), ("17031", "population", 2010), ("06037", "unemployment_rate", 2005),
               ("06037", "unemployment_rate", 2014), ("06037", "pct_foreign_born", 2005), ("06037", "pct_foreign_born", 2014)]


def describe(panel: pd.DataFrame, year: int = DESCRIBE_YEAR) -> dict:
    """Size of the panel and counts of counties with each fixed attribute (in `year`)."""
    in_year = panel[panel["year"] == year]
    return {"counties": int(panel["fips"].nunique()), "years": int(panel["year"].nunique()), "county_years": int(len(panel)),
            "border_counties": int(in_year["border"].sum()), "new_destination_counties": int(in_year["new_destination"].sum()),
            "metro_counties": int(in_year["metro"].sum()),
            "unemployment_missing_county_years": int(panel["unemployment_rate"].isna().sum())}


def value_at(panel: pd.DataFrame, fips: str, year: int, column: str):
    """One county-year's value of `column`."""
    return panel.loc[(panel["fips"] == fips) & (panel["year"] == year), column].item()


def spot_checks(panel: pd.DataFrame, checks=SPOT_CHECKS) -> pd.DataFrame:
    """fips, county, column, year, value for each of `checks`."""
    names = county_frame().set_index("fips")
    rows = pd.DataFrame([(f, f"{names.loc[f, 'county_name']}, {names.loc[f, 'state']}", column, year) for f, column, year in checks],
                        columns=["fips", "county", "column", "year"])
    rows["value"] = pd.Series([value_at(panel, f, year, column) for f, column, year in checks], dtype=object)
    return rows


def weighted_means(panel: pd.DataFrame, columns: list[str], weight: str = "population") -> pd.DataFrame:
    """National means of `columns` by year, weighting counties by `weight` (missing values left out)."""
    out = {}
    for c in columns:
        d = panel.dropna(subset=[c, weight])
        w = d[weight].astype(float)
        out[c] = (d[c].astype(float) * w).groupby(d["year"]).sum() / w.groupby(d["year"]).sum()
    return pd.DataFrame(out)
