"""Reading the model inputs written by earlier stages, with the NCVS source label kept alongside."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from fedlocal import FedlocalError

SOURCES = ("synthetic", "restricted")


def ncvs_source(path: Path) -> str:
    """'synthetic' or 'restricted', from the parquet key-value metadata 'fedlocal_source'."""
    if not Path(path).is_file():
        raise FedlocalError(f"{path} not found; run stage 'ncvs' (notebook 03) into the same run directory first.")
    meta = pq.read_schema(path).metadata or {}
    value = meta.get(b"fedlocal_source", b"").decode()
    if value not in SOURCES:
        raise FedlocalError(f"{path}: key-value metadata 'fedlocal_source' is {value!r}, expected one of {SOURCES}; "
                            "rerun stage 'ncvs' (notebook 03), which writes it.")
    return value


def read_interviews(path: Path) -> tuple[pd.DataFrame, str]:
    """The person-interview file and its source label."""
    source = ncvs_source(path)
    return pd.read_parquet(path), source


def read_planted(path: Path, source: str) -> pd.DataFrame | None:
    """Planted odds ratios (policy, group, odds_ratio) for synthetic runs; None for restricted data."""
    if source != "synthetic":
        return None
    if not Path(path).is_file():
        raise FedlocalError(f"{path} not found; the synthetic NCVS stage (notebook 03) writes it.")
    planted = pd.read_csv(path)
    missing = {"policy", "group", "odds_ratio"} - set(planted.columns)
    if missing:
        raise FedlocalError(f"{path} lacks columns {sorted(missing)}; rerun stage 'ncvs' (notebook 03).")
    return planted


def source_label(source: str) -> str:
    """How outputs name their data: every synthetic table and figure says so."""
    return "synthetic NCVS" if source == "synthetic" else "restricted NCVS"
