"""The MSA x year analysis panel: linked rows with a violent-crime total, as rates per 100,000."""

from __future__ import annotations

import numpy as np
import pandas as pd


def analysis_panel(linked: pd.DataFrame) -> pd.DataFrame:
    """MSA x year rows usable for analysis: linked, with an estimated violent-crime total and positive
    population; rates per 100,000 and log rates (log of rate + 1 keeps zero counts)."""
    p = linked[(linked.msa_id != "") & linked.violent.notna() & (linked.population > 0)].copy()
    for c in ("violent", "violent_legacy_free", "murder", "robbery", "agg_assault"):
        p[f"{c}_rate"] = 1e5 * p[c] / p.population
    p["log_violent_rate"] = np.log(p.violent_rate + 1.0)
    p["log_violent_legacy_free_rate"] = np.log(p.violent_legacy_free_rate + 1.0)
    return p.sort_values(["msa_id", "year"]).reset_index(drop=True)
