"""Source `restricted`: the real county-identified NCVS files, read, mapped and validated.

The files sit in the directory named by the environment variable FEDLOCAL_NCVS_DIR (never in the
repository): a person file (one row per person-interview), a household file (one row per
household-interview) and an incident file (one row per incident report), as CSV, Parquet, Stata
or SAS. `restricted_mapping.yaml` says which NCVS variable is which schema column and how its codes
translate. Everything is checked before use; each problem is reported with the file, the column,
an example bad value and how many rows have it.

Violent victimization: incidents with type-of-crime code (V4529) 01-20. Each incident counts once,
except a series report (6 or more similar incidents the respondent cannot tell apart), which counts
as its number of incidents up to 10, the BJS convention.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from fedlocal import paths
from fedlocal.data.counties import county_frame, fips5, to_2010
from fedlocal.data.ncvs.schema import BASE_COLUMNS, NCVSSchemaError, conform, reference_period, validate

MAPPING_FILE = Path(__file__).with_name("restricted_mapping.yaml")


class RestrictedDataError(NCVSSchemaError):
    """The restricted NCVS files are missing, unreadable or do not fit the mapping."""


def load_mapping(path: str | Path | None = None) -> dict:
    return yaml.safe_load(Path(path or MAPPING_FILE).read_text())


def data_dir() -> Path:
    value = os.environ.get(paths.RESTRICTED_ENV)
    if not value:
        raise RestrictedDataError(f"ncvs_source 'restricted' needs the environment variable {paths.RESTRICTED_ENV} set to the "
                                  "directory holding the NCVS person, household and incident files (or use ncvs_source: synthetic).")
    d = Path(value)
    if not d.is_dir():
        raise RestrictedDataError(f"{paths.RESTRICTED_ENV}={value}: not a directory.")
    return d


def read_table(path: Path) -> pd.DataFrame:
    """CSV, Parquet, Stata (.dta) or SAS (.sas7bdat, .xpt) into a data frame."""
    ext = path.suffix.lower()
    if ext == ".csv":
        return pd.read_csv(path, low_memory=False)
    if ext == ".parquet":
        return pd.read_parquet(path)
    if ext in (".dta", ".sas7bdat", ".xpt"):
        import pyreadstat

        reader = {".dta": pyreadstat.read_dta, ".sas7bdat": pyreadstat.read_sas7bdat, ".xpt": pyreadstat.read_xport}[ext]
        df, _ = reader(str(path))
        return df
    raise RestrictedDataError(f"{path}: unsupported format {ext!r}; use .csv, .parquet, .dta, .sas7bdat or .xpt.")


def _find(directory: Path, pattern: str, formats: list[str], kind: str) -> Path:
    found = sorted(p for p in directory.glob(pattern) if p.suffix.lower() in formats)
    if len(found) != 1:
        what = "no file" if not found else f"{len(found)} files ({', '.join(p.name for p in found)})"
        raise RestrictedDataError(f"{directory}: expected one {kind} file matching {pattern!r} with extension "
                                  f"{', '.join(formats)}; found {what}.")
    return found[0]


def _spec(entry) -> dict:
    return {"column": entry} if isinstance(entry, str) else dict(entry)


class _Problems:
    def __init__(self):
        self.lines: list[str] = []

    def add(self, where: str, col: str, field: str, bad: np.ndarray, values: pd.Series, what: str):
        count = int(bad.sum())
        if count:
            example = values[bad].iloc[0]
            example = example.item() if hasattr(example, "item") else example
            self.lines.append(f"{where}: column {col!r} ({field}): {count:,} of {len(values):,} rows {what} "
                              f"(e.g. {example!r})")


def _numeric(df: pd.DataFrame, col: str, field: str, where: str, problems: _Problems) -> pd.Series:
    raw = df[col]
    num = pd.to_numeric(raw, errors="coerce")
    problems.add(where, col, field, (raw.notna() & num.isna()).to_numpy(), raw, "are not numbers")
    problems.add(where, col, field, raw.isna().to_numpy(), raw, "are missing")
    return num


def _apply(df: pd.DataFrame, field: str, entry, where: str, problems: _Problems) -> pd.Series:
    """One schema field from its mapped column: numeric passthrough, a code table or code ranges."""
    spec = _spec(entry)
    col = spec["column"]
    num = _numeric(df, col, field, where, problems)
    if "codes" in spec:
        codes = {float(k): v for k, v in spec["codes"].items()}
        known = num.isin(list(codes))
        if "otherwise" in spec:
            return num.map(codes).where(known, spec["otherwise"])
        problems.add(where, col, field, (num.notna() & ~known).to_numpy(), df[col],
                     f"have codes outside {', '.join(str(int(k)) for k in codes)}")
        return num.map(codes)
    if "ranges" in spec:
        out = pd.Series(None, index=df.index, dtype=object)
        for label, (lo, hi) in spec["ranges"].items():
            out[(num >= lo) & (num <= hi)] = label
        problems.add(where, col, field, (num.notna() & out.isna()).to_numpy(), df[col],
                     f"have codes outside the mapped ranges {spec['ranges']}")
        return out
    if "range" in spec:
        lo, hi = spec["range"]
        problems.add(where, col, field, (num.notna() & ((num < lo) | (num > hi))).to_numpy(), df[col],
                     f"are outside {lo}..{hi}")
    return num


def _missing(df: pd.DataFrame, cols: list[str], path: Path) -> list[str]:
    """What the mapping names and the file lacks, as one line per file (empty when nothing is missing)."""
    missing = list(dict.fromkeys(c for c in cols if c not in df.columns))
    if not missing:
        return []
    return [f"{path}: missing column(s) {', '.join(missing)} named in the mapping ({MAPPING_FILE.name}); the file has "
            f"{len(df.columns)} columns, e.g. {', '.join(map(str, df.columns[:8]))}."]


def _require(df: pd.DataFrame, cols: list[str], path: Path) -> None:
    lines = _missing(df, cols, path)
    if lines:
        raise RestrictedDataError(lines[0])


def _duplicates(df: pd.DataFrame, cols: list[str], path: Path, what: str) -> None:
    """Refuse rows that share a key, naming the file's own key columns and an example (double counting otherwise)."""
    dup = df.duplicated(cols, keep=False)
    if dup.any():
        ex = df.loc[dup, cols].astype(str).iloc[0]
        example = ", ".join(f"{c}={ex[c]!r}" for c in cols)
        raise RestrictedDataError(f"{path.name}: {int(dup.sum())} rows share a {what} key ({', '.join(cols)}), e.g. {example}; "
                                  "each key must appear once. Remove the duplicates in the extract.")


def violent_counts(incidents: pd.DataFrame, mapping: dict, path: Path) -> pd.DataFrame:
    """Per (person, period): violent victimization count (series counted up to the cap) from the incident file."""
    inc, keys = mapping["incident"], mapping["keys"]
    _require(incidents, [keys["person"], keys["period"], inc["type_of_crime"], inc["times"]], path)
    problems = _Problems()
    toc = _numeric(incidents, inc["type_of_crime"], "type of crime", path.name, problems)
    times = pd.to_numeric(incidents[inc["times"]], errors="coerce")
    lo, hi = inc["violent_codes"]
    violent = (toc >= lo) & (toc <= hi)
    unknown = times.isin(inc["times_unknown"])
    series = unknown | (times >= inc["series_from"])
    count = np.where(series, np.where(unknown, inc["series_from"], times).clip(max=inc["series_cap"]), 1)
    bad_times = violent & ~unknown & (times.isna() | (times < 1))
    problems.add(path.name, inc["times"], "times in reference period", bad_times.to_numpy(), incidents[inc["times"]],
                 "are missing or below 1 for violent incidents")
    if problems.lines:
        raise RestrictedDataError("the NCVS incident file does not fit the mapping:\n  - " + "\n  - ".join(problems.lines))
    out = pd.DataFrame({"person": incidents[keys["person"]].astype(str), "period": incidents[keys["period"]].astype(str),
                        "violent_count": np.where(violent, count, 0)})
    return out.groupby(["person", "period"], as_index=False)["violent_count"].sum()


def _unknown_counties(fips: pd.Series, known, where: str, columns: str) -> None:
    """A county code outside the frame would silently count as never exposed: refuse it."""
    known = set(county_frame()["fips"]) if known is None else set(known)
    mapped = to_2010(fips)
    bad = ~mapped.isin(known).to_numpy()
    if bad.any():
        examples = ", ".join(sorted(set(fips[bad].astype(str)))[:5])
        raise RestrictedDataError(f"{where}: columns {columns}: {int(bad.sum()):,} person-interviews have county codes that are not "
                                  f"counties of the 2010 frame (e.g. {examples}); check the state and county columns in the mapping.")


def _orphan_incidents(counts: pd.DataFrame, persons: pd.DataFrame, path: Path, keys: dict) -> None:
    """Incidents of person-interviews absent from the person file would be dropped silently: stop instead."""
    linked = counts.merge(persons, on=["person", "period"], how="left", indicator=True)
    orphan = linked["_merge"] == "left_only"
    if orphan.any():
        ex = linked.loc[orphan].iloc[0]
        raise RestrictedDataError(f"{path.name}: {int(orphan.sum())} incident person-interviews have no row in the person file "
                                  f"(e.g. {keys['person']}={ex['person']!r}, {keys['period']}={ex['period']!r}); "
                                  "their victimizations would be lost. Use matching person and incident extracts.")


def load(directory: str | Path | None = None, mapping: dict | None = None, first_year: int = 2005,
         last_year: int = 2014, known_counties=None) -> pd.DataFrame:
    """The restricted person-interview frame in the schema (without exposure), validated.

    `known_counties`: the county FIPS codes of the analysis frame (default: the 2010 county frame).
    """
    directory = Path(directory) if directory is not None else data_dir()
    mapping = mapping or load_mapping()
    fmts = [f.lower() for f in mapping["formats"]]
    files = {k: _find(directory, pat, fmts, k) for k, pat in mapping["files"].items()}
    person, household, incidents = (read_table(files[k]) for k in ("person", "household", "incident"))
    keys, pm, hm, inc = mapping["keys"], mapping["person"], mapping["household"], mapping["incident"]
    missing = (_missing(person, [keys["household"], keys["person"], keys["period"]] + [_spec(e)["column"] for e in pm.values()],
                        files["person"])
               + _missing(household, [keys["household"], keys["period"]] + [_spec(e)["column"] for e in hm.values()], files["household"])
               + _missing(incidents, [keys["person"], keys["period"], inc["type_of_crime"], inc["times"]], files["incident"]))
    if missing:
        raise RestrictedDataError("the NCVS files lack columns the mapping names:\n  - " + "\n  - ".join(missing))
    _duplicates(person, [keys["person"], keys["period"]], files["person"], "person-interview")

    problems = _Problems()
    pw, hw = files["person"].name, files["household"].name
    f = {field: _apply(person, field, entry, pw, problems) for field, entry in pm.items()}
    h = {field: _apply(household, field, entry, hw, problems) for field, entry in hm.items()}
    month_col = _spec(pm["interview_month"])["column"]
    problems.add(pw, month_col, "interview_month", (f["interview_month"].notna() & ~f["interview_month"].between(1, 12)).to_numpy(),
                 person[month_col], "are not months 1..12")
    if problems.lines:
        raise RestrictedDataError("the NCVS files do not fit the mapping:\n  - " + "\n  - ".join(problems.lines)
                                  + f"\nFix the files or the mapping ({MAPPING_FILE.name}).")

    hh = pd.DataFrame({"hh": household[keys["household"]].astype(str), "period": household[keys["period"]].astype(str),
                       "income_bracket": h["income_bracket"], "homeowner": h["homeowner"]})
    _duplicates(household, [keys["household"], keys["period"]], files["household"], "household-interview")
    race = f["race"].where(f["hispanic"] != 1, "latino")
    df = pd.DataFrame({
        "person": person[keys["person"]].astype(str), "hh": person[keys["household"]].astype(str),
        "period": person[keys["period"]].astype(str),
        "county_fips": fips5(f["state_fips"] * 1000 + f["county_fips"]).to_numpy(),
        "interview_month": [f"{int(y):04d}-{int(m):02d}" for y, m in zip(f["interview_year"], f["interview_month"])],
        "interview_number": f["interview_number"], "weight": f["weight"], "age": f["age"], "sex": f["sex"],
        "race_eth": race, "marital": f["marital"], "education": f["education"], "employed": f["employed"],
        "years_at_address": f["years_at_address"],
    })
    _unknown_counties(df["county_fips"], known_counties, pw, f"{_spec(pm['state_fips'])['column']}/{_spec(pm['county_fips'])['column']}")
    df["county_fips"] = to_2010(df["county_fips"]).to_numpy()
    df["year"] = df["interview_month"].str[:4].astype(int)
    df = df.merge(hh, on=["hh", "period"], how="left", validate="many_to_one")
    nohh = df["income_bracket"].isna()
    if nohh.any():
        ex = df.loc[nohh].iloc[0]
        raise RestrictedDataError(f"{pw}: {int(nohh.sum())} person-interviews have no household record in {hw} "
                                  f"(e.g. {keys['household']}={ex['hh']!r}, {keys['period']}={ex['period']!r}).")
    counts = violent_counts(incidents, mapping, files["incident"])
    _orphan_incidents(counts, df[["person", "period"]], files["incident"], keys)
    df = df.merge(counts, on=["person", "period"], how="left", validate="one_to_one")
    df["violent_count"] = df["violent_count"].fillna(0).astype(int)
    df["violent"] = (df["violent_count"] > 0).astype(int)
    df["ref_start"], df["ref_end"] = reference_period(df["interview_month"])
    # stable integer ids: the NCVS ids are long digit strings
    df["person_id"] = pd.Index(sorted(df["person"].unique())).get_indexer(df["person"]) + 1
    df["household_id"] = pd.Index(sorted(df["hh"].unique())).get_indexer(df["hh"]) + 1
    df = df[list(BASE_COLUMNS)]
    validate(df, f"{directory} (restricted NCVS)", first_year, last_year)
    return conform(df).sort_values(["person_id", "interview_month"]).reset_index(drop=True)
