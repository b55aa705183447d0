"""What the paper reported (direction and significance only) and how our estimates line up with it.

The published pattern is transcribed from the compendium's study notes (context/paper-notes.md, from
Baumer & Xie 2023, Criminology & Public Policy 22(3)): the paper's odds ratios, coefficients and standard
errors are not public, so only "higher risk, significant" or "not significant" is recorded. The overall
287(g) task-force cell comes from a secondary source only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fedlocal.vocab import GROUPS, POLICIES

# (policy, group, finding, evidence): finding is 'higher' (higher risk, significant) or 'n.s.';
# evidence 'V' = seen in a primary source, 'S' = secondary source only.
PUBLISHED = [
    ("sc", "all", "higher", "V"), ("sc", "latino", "higher", "V"), ("sc", "black", "n.s.", "V"), ("sc", "white", "n.s.", "V"),
    ("tfm", "all", "n.s.", "S"), ("tfm", "latino", "higher", "V"), ("tfm", "black", "n.s.", "V"), ("tfm", "white", "n.s.", "V"),
    ("jem", "all", "n.s.", "V"), ("jem", "latino", "n.s.", "V"), ("jem", "black", "n.s.", "V"), ("jem", "white", "n.s.", "V"),
    ("antidetainer", "all", "n.s.", "V"), ("antidetainer", "latino", "n.s.", "V"), ("antidetainer", "black", "n.s.", "V"),
    ("antidetainer", "white", "n.s.", "V"),
]


def finding(odds_ratio: float, p_value: float, alpha: float = 0.05) -> str:
    """'higher' / 'lower' when significant at alpha, else 'n.s.' (the paper's categories)."""
    if not np.isfinite(p_value) or p_value >= alpha:
        return "n.s."
    return "higher" if odds_ratio > 1 else "lower"


def published_pattern(estimates: pd.DataFrame) -> pd.DataFrame:
    """Our direction and significance next to the paper's, cell by cell (hybrid logit rows of `estimates`)."""
    pub = pd.DataFrame(PUBLISHED, columns=["policy", "group", "published", "evidence"])
    est = estimates.loc[estimates["model"] == "hybrid_logit", ["policy", "group", "odds_ratio", "p_value"]]
    out = pub.merge(est, on=["policy", "group"], how="left", validate="one_to_one")
    out["estimated"] = [finding(o, p) for o, p in zip(out["odds_ratio"], out["p_value"])]
    out["agrees"] = out["estimated"] == out["published"]
    return out


COMPARISON_COLUMNS = ["policy", "group", "planted", "odds_ratio", "ci_low", "ci_high", "p_value", "covered"]


def planted_vs_estimated(estimates: pd.DataFrame, planted: pd.DataFrame | None) -> pd.DataFrame:
    """For synthetic runs: the planted odds ratio of each policy x group cell against the hybrid estimate.

    Restricted data have nothing planted (`planted` None): the comparison is then empty.
    """
    if planted is None:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    est = estimates.loc[(estimates["model"] == "hybrid_logit") & estimates["group"].isin(GROUPS)]
    grid = pd.DataFrame([(p, g) for p in POLICIES for g in GROUPS], columns=["policy", "group"])
    pl = planted.loc[:, ["policy", "group", "odds_ratio"]].rename(columns={"odds_ratio": "planted"})
    grid = grid.merge(pl, on=["policy", "group"], how="left")
    grid["planted"] = grid["planted"].fillna(1.0).astype(float)
    out = grid.merge(est[["policy", "group", "odds_ratio", "ci_low", "ci_high", "p_value"]], on=["policy", "group"],
                     how="left", validate="one_to_one")
    out["covered"] = (out["ci_low"] <= out["planted"]) & (out["planted"] <= out["ci_high"])
    return out
