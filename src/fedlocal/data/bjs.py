"""BJS's national violent victimization rate per 1,000 persons 12+, 1993-2017, built from published tables.

No single public file holds the series the synthetic panel is calibrated to, so it is put together here, year
by year, from the BJS bulletin tables in the registry (each with a pinned URL) and the one value the project
transcribed itself (2014, in data/curated/):

    1993-2012  Criminal Victimization 2012, appendix table of rates and standard errors (hathix_rates.csv)
    2013       Criminal Victimization 2013, table 1 (hathix_tabula-cv13.csv)
    2014       Criminal Victimization 2014, bulletin text (data/curated/bjs_violent_rate_transcribed.csv)
    2015-2017  Criminal Victimization 2017, table 1 (cv17/cv17t01.csv)

All use the revised series-victimization convention (series counted up to 10); the 2007 and 2009 bulletins,
which do not, are not used.
"""

from __future__ import annotations

import io
import re

import pandas as pd

from fedlocal import registry

RATES_1993_2012 = "bjs_ncvs_tables/hathix_rates.csv"
TABLE1_2013 = "bjs_ncvs_tables/hathix_tabula-cv13.csv"
TABLE1_2017 = "bjs_ncvs_tables/cv17/cv17t01.csv"
TRANSCRIBED = "curated/bjs_violent_rate_transcribed.csv"
INPUTS = (RATES_1993_2012, TABLE1_2013, TRANSCRIBED, TABLE1_2017)

COLUMNS = ["year", "violent_rate_per_1000_12plus", "se_violent", "rape_sexual_assault", "robbery",
           "aggravated_assault", "simple_assault", "source", "note"]
TYPES = {"Violent crime": "violent_rate_per_1000_12plus", "Rape/sexual assault": "rape_sexual_assault",
         "Robbery": "robbery", "Aggravated assault": "aggravated_assault", "Simple assault": "simple_assault"}
CITATION = {
    RATES_1993_2012: "hathix_rates.csv = BJS Criminal Victimization 2012 (NCJ 243389) appendix rate+SE table "
                     "(tabula extract)",
    TABLE1_2013: "hathix_tabula-cv13.csv = BJS Criminal Victimization 2013 (NCJ 247648) table 1",
    TABLE1_2017: "cv17/cv17t01.csv = BJS Criminal Victimization 2017 (NCJ 252472) table 1",
}
# Footnotes the tables carry as marks: 2006b in the 2012 appendix; the 2016 redesign in the 2017 methodology.
NOTES = {2006: "BJS: 2006 estimates not comparable to other years", 2016: "2016 NCVS sample redesign"}


def _number(text) -> float:
    """A table cell as a number: significance marks, footnote letters and thousands commas dropped."""
    cleaned = re.sub(r"[^0-9.]", "", str(text))
    return float(cleaned) if cleaned else float("nan")


def _text(name: str) -> str:
    """A registered table as text (the BJS files carry replacement bytes for their dagger marks)."""
    return registry.fetch(name).read_bytes().decode("utf-8", errors="replace")


def rates_1993_2012() -> pd.DataFrame:
    raw = pd.read_csv(io.StringIO(_text(RATES_1993_2012)), header=None, skiprows=3, dtype=str)
    out = pd.DataFrame({"year": raw[0].str.extract(r"^(\d{4})", expand=False).astype(int)})
    for col, name in zip(range(1, 7), ["violent_rate_per_1000_12plus", "rape_sexual_assault", "robbery",
                                       "aggravated_assault", "simple_assault", "se_violent"]):
        out[name] = raw[col].map(_number)
    out["source"] = CITATION[RATES_1993_2012]
    return out


def table1_2013() -> pd.DataFrame:
    raw = pd.read_csv(io.StringIO(_text(TABLE1_2013)), header=None, skiprows=2, dtype=str)
    raw = raw.set_index(raw[0].str.strip())
    row = {TYPES[label]: _number(raw.loc[label, 6]) for label in TYPES}  # column 6: rate, 2013
    return pd.DataFrame([{"year": 2013, **row, "source": CITATION[TABLE1_2013]}])


def table1_2017() -> pd.DataFrame:
    raw = pd.read_csv(io.StringIO(_text(TABLE1_2017)), header=None, skiprows=12, dtype=str, keep_default_na=False)
    label = (raw[0] + raw[1] + raw[2]).str.replace(r"/[a-z]$", "", regex=True).str.strip()
    raw = raw[label.isin(TYPES)].set_index(label[label.isin(TYPES)])
    rate_column = {2015: 4, 2016: 9, 2017: 7}  # rate per 1,000 beside each year's number
    rows = [{"year": year, **{TYPES[lab]: _number(raw.loc[lab, col]) for lab in TYPES},
             "source": CITATION[TABLE1_2017] if year == 2015 else "cv17/cv17t01.csv"}
            for year, col in rate_column.items()]
    return pd.DataFrame(rows)


def transcribed() -> pd.DataFrame:
    """The values the project typed from BJS text (no data file published), with their provenance."""
    return pd.read_csv(registry.fetch(TRANSCRIBED), dtype={"year": int})


def national_violent_rates() -> pd.DataFrame:
    """One row per year 1993-2017: total violent rate, its SE (1993-2012), rates by type, source and note."""
    typed = transcribed().drop(columns="provenance")
    df = pd.concat([rates_1993_2012(), table1_2013(), typed, table1_2017()], ignore_index=True)
    notes = df["year"].map(NOTES)
    df["note"] = df["note"].where(df["note"].notna(), notes) if "note" in df else notes
    df = df.reindex(columns=COLUMNS).sort_values("year", kind="stable").reset_index(drop=True)
    if df["year"].duplicated().any() or df["year"].tolist() != list(range(1993, 2018)):
        raise registry.InputError(f"the BJS national series must have each year 1993-2017 once; got {df['year'].tolist()}")
    return df
