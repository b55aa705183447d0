"""The NCVS person-interview schema both sources produce (restricted file and synthetic panel).

One row per person-interview. The columns, their types and allowed codes are declared once here
(`COLUMNS`); `conform` casts a frame to them, `validate` checks a frame against them and raises one
`NCVSSchemaError` that lists every problem (column, an example bad value, how many rows), and
`write`/`read` keep the source ("synthetic" or "restricted") in the parquet file's metadata so no
synthetic number can pass for a real one. The 6-month reference period, a fact of the NCVS design,
is defined here too (`reference_period`), for both sources and for the exposure code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fedlocal import FedlocalError
from fedlocal.vocab import NCVS_SOURCES, POLICIES, RACE_ETH

SOURCES = NCVS_SOURCES
SOURCE_KEY = b"fedlocal_source"
KEY = ("person_id", "interview_month")
EXPOSURE_COLUMNS = POLICIES


class NCVSSchemaError(FedlocalError):
    """NCVS person-interview data that do not fit the schema (missing columns, bad codes, duplicates...)."""


@dataclass(frozen=True)
class Column:
    dtype: str  # int8/int16/int64/float64/str/datetime
    doc: str
    allowed: tuple = ()
    lo: float | None = None
    hi: float | None = None


COLUMNS: dict[str, Column] = {
    "person_id": Column("int64", "Person identifier, stable across the person's interviews."),
    "household_id": Column("int64", "Household identifier; a household that moves in at a sampled address gets a new one."),
    "county_fips": Column("str", "County of residence, 5-digit FIPS (2010 vintage)."),
    "interview_month": Column("str", "Month of the interview, 'YYYY-MM'."),
    "year": Column("int16", "Calendar year of the interview."),
    "ref_start": Column("datetime", "First day of the reference period: the interview month's first day minus 6 months."),
    "ref_end": Column("datetime", "Last day of the reference period: the day before the interview month."),
    "interview_number": Column("int8", "Time in sample of the address at this interview (1-7; a person who moved in "
                                       "starts mid-way).", lo=1, hi=7),
    "violent": Column("int8", "1 if the person reports at least one violent victimization (NCVS type-of-crime 01-20) in "
                              "the reference period.", (0, 1)),
    "violent_count": Column("int16", "Number of violent victimizations in the reference period; a series report counts as "
                                     "up to 10.", lo=0, hi=10_000),
    "weight": Column("float64", "Person weight (NCVS WGTPERCY or the synthetic design weight).", lo=0.0),
    "age": Column("int16", "Age in years at the interview (persons 12 and older).", lo=12, hi=120),
    "sex": Column("str", "Sex.", ("male", "female")),
    "race_eth": Column("str", "Race/ethnicity: Latino (any race), non-Latino Black, non-Latino white, non-Latino other.", RACE_ETH),
    "marital": Column("str", "Marital status.", ("married", "never", "divorced_separated", "widowed")),
    "education": Column("str", "Highest education: less than high school, high school, some college, bachelor's or more.",
                        ("less_hs", "hs", "some_college", "ba_plus")),
    "employed": Column("int8", "1 if the person had a job in the week before the interview.", (0, 1)),
    "income_bracket": Column("int8", "Household income, the NCVS's 14 brackets (1 = under $5,000 ... 14 = $75,000 or more).", lo=1, hi=14),
    "homeowner": Column("int8", "1 if the household owns its home.", (0, 1)),
    "years_at_address": Column("float64", "Years the household has lived at the address.", lo=0.0, hi=120.0),
    **{p: Column("float64", f"Exposure of the reference period to policy '{p}' (0/1; a share of days under the rule 'share').",
                 lo=0.0, hi=1.0) for p in EXPOSURE_COLUMNS},
}
BASE_COLUMNS = tuple(c for c in COLUMNS if c not in EXPOSURE_COLUMNS)


def month_start(interview_month) -> pd.Series:
    """First day of each 'YYYY-MM' month."""
    return pd.Series(pd.to_datetime(pd.Series(interview_month).astype(str) + "-01", format="%Y-%m-%d"))


def reference_period(interview_month) -> tuple[pd.Series, pd.Series]:
    """(ref_start, ref_end): the 6 months before the first day of the interview month, both days inclusive."""
    first = month_start(interview_month)
    return first - pd.DateOffset(months=6), first - pd.Timedelta(days=1)


def describe() -> pd.DataFrame:
    """The schema as a table (column, type, allowed values, meaning) for documentation and notebooks."""
    rows = []
    for name, c in COLUMNS.items():
        if c.allowed:
            allowed = ", ".join(str(a) for a in c.allowed)
        elif c.lo is not None and c.hi is not None:
            allowed = f"{c.lo:g} to {c.hi:g}"
        elif c.lo is not None:
            allowed = f">= {c.lo:g}"
        else:
            allowed = ""
        rows.append({"column": name, "type": c.dtype, "allowed": allowed, "meaning": c.doc})
    return pd.DataFrame(rows)


def _numpy_dtype(c: Column):
    return {"int8": np.int8, "int16": np.int16, "int64": np.int64, "float64": np.float64}[c.dtype]


_STR = pd.Series(["x"]).dtype  # the string dtype pandas infers for a column of Python strings


def _plain_numbers(s: pd.Series) -> bool:
    """An integer or float column (not bool): pd.to_numeric would return it unchanged, at a copy's cost per column."""
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def validate(df: pd.DataFrame, where: str, first_year: int = 2005, last_year: int = 2014,
             require_exposure: bool = False) -> None:
    """Raise NCVSSchemaError listing every problem (column, example bad value, count); return None if clean."""
    problems: list[str] = []
    wanted = list(COLUMNS) if require_exposure else list(BASE_COLUMNS)
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    n = len(df)

    def report(col: str, bad: pd.Series, what: str) -> None:
        count = int(bad.sum())
        if count:
            example = df.loc[bad.to_numpy(), col].iloc[0]
            example = example.item() if hasattr(example, "item") else example
            problems.append(f"column {col!r}: {count:,} of {n:,} rows {what} (e.g. {example!r})")

    for col, c in COLUMNS.items():
        if col not in df.columns:
            continue
        s = df[col]
        if c.dtype == "str":
            text = s if s.dtype == _STR else s.astype("object")  # pandas' own strings: no round trip through objects
            report(col, s.isna(), "are missing")
            if c.allowed:
                report(col, s.notna() & ~text.isin(c.allowed), f"are not one of {', '.join(c.allowed)}")
            elif col == "county_fips":
                report(col, s.notna() & ~text.astype(str).str.fullmatch(r"\d{5}"), "are not 5-digit FIPS codes")
            elif col == "interview_month":
                report(col, s.notna() & ~text.astype(str).str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])"), "are not 'YYYY-MM' months")
        elif c.dtype == "datetime":
            conv = pd.to_datetime(s, errors="coerce")
            report(col, conv.isna(), "are missing or not dates")
        else:
            num = s if _plain_numbers(s) else pd.to_numeric(s, errors="coerce")
            report(col, s.notna() & num.isna(), f"are not numbers (expected {c.dtype})")
            report(col, s.isna(), "are missing")
            if c.dtype.startswith("int"):
                report(col, num.notna() & (num != np.floor(num)), "are not whole numbers")
            if c.allowed:
                report(col, num.notna() & ~num.isin(c.allowed), f"are not one of {', '.join(map(str, c.allowed))}")
            if c.lo is not None:
                report(col, num.notna() & (num < c.lo), f"are below {c.lo:g}")
            if c.hi is not None:
                report(col, num.notna() & (num > c.hi), f"are above {c.hi:g}")
    if all(k in df.columns for k in KEY):
        dup = df.duplicated(list(KEY), keep=False)
        if dup.any():
            first = df.loc[dup.to_numpy(), list(KEY)].iloc[0]
            problems.append(f"duplicate person-interview keys (person_id, interview_month): {int(dup.sum()):,} rows share a key "
                            f"(e.g. person_id={first['person_id']!r}, interview_month={first['interview_month']!r})")
    if "interview_month" in df.columns:
        month = df["interview_month"]
        month = month if month.dtype == _STR else month.astype("object").astype(str)
        ok = month.str.fullmatch(r"\d{4}-\d{2}")
        yr = pd.to_numeric(month.str[:4].where(ok), errors="coerce")
        report("interview_month", ok & ((yr < first_year) | (yr > last_year)),
               f"are outside the window {first_year}-01..{last_year}-12")
    if problems:
        raise NCVSSchemaError(f"{where}: the NCVS person-interview data do not fit the schema:\n  - " + "\n  - ".join(problems)
                              + "\nFix the file or its mapping (see data/NCVS-SCHEMA.md).")




def conform(df: pd.DataFrame) -> pd.DataFrame:
    """The schema's columns, in order, with the schema's exact types (exposure columns kept if present)."""
    cols = [c for c in COLUMNS if c in df.columns]
    out = {}
    for col in cols:
        c = COLUMNS[col]
        s = df[col]
        if c.dtype == "str" and s.dtype == _STR and not s.isna().any():
            out[col] = s.array  # already the type the frame would infer: a round trip through Python strings costs seconds
        elif c.dtype == "str":
            out[col] = s.astype("object").astype(str).to_numpy(dtype=object)
        elif c.dtype == "datetime":
            out[col] = pd.to_datetime(s).to_numpy(dtype="datetime64[ns]")
        else:
            out[col] = pd.to_numeric(s).to_numpy().astype(_numpy_dtype(c))
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def write(df: pd.DataFrame, path: str | Path, source: str) -> Path:
    """Write the person-interview file with its source ('synthetic' or 'restricted') in the parquet metadata."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    table = pa.Table.from_pandas(conform(df), preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[SOURCE_KEY] = source.encode()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.replace_schema_metadata(meta), path)
    return path


def read(path: str | Path) -> tuple[pd.DataFrame, str]:
    """The person-interview frame and its source; a file without the source label is refused."""
    path = Path(path)
    if not path.is_file():
        raise NCVSSchemaError(f"{path}: person-interview file not found; run stage 'ncvs' (notebook 03) into the same "
                              "run directory first.")
    table = pq.read_table(path)
    source = (table.schema.metadata or {}).get(SOURCE_KEY, b"").decode()
    if source not in SOURCES:
        raise NCVSSchemaError(f"{path}: key-value metadata '{SOURCE_KEY.decode()}' is {source!r}, expected one of {SOURCES}; "
                              "rerun stage 'ncvs' (notebook 03), which writes it with schema.write().")
    df = table.to_pandas()
    return (df if _conformed(df) else conform(df)), source


def _conformed(df: pd.DataFrame) -> bool:
    """True when `df` already is what conform() would return (a file schema.write() wrote): saves a copy of a
    million rows on every read."""
    if list(df.columns) != [c for c in COLUMNS if c in df.columns] or not isinstance(df.index, pd.RangeIndex) \
            or df.index.start != 0 or df.index.step != 1:
        return False
    for col in df.columns:
        c, s = COLUMNS[col], df[col]
        if c.dtype == "str":
            ok = pd.api.types.is_string_dtype(s.dtype) and s.dtype != object and not s.isna().any()
        elif c.dtype == "datetime":
            ok = s.dtype == np.dtype("datetime64[ns]")
        else:
            ok = s.dtype == np.dtype(_numpy_dtype(c))
        if not ok:
            return False
    return True
