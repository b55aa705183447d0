"""Exposure of each interview's 6-month reference period to each county policy, from the policy spells.

The NCVS asks about the 6 months before the first day of the interview month, so an interview in
2010-07 covers 2010-01-01..2010-06-30. A county's policy history is a set of spells (fips, program,
start, end; an empty end means still on). The same code links both NCVS sources.

Rules (parameter `exposure_rule`):
- `any`: 1 if the policy was active on at least one day of the reference period;
- `all`: 1 only if it was active on every day of it;
- `share`: the share of the reference period's days on which it was active (0..1);
- `at_interview`: 1 if it was active on at least one day of the interview month itself.

Days in force are counted by fedlocal.data.policies.spells.days_in_force, the rule the county x month
panel uses too. Work is done once per distinct (county, interview month), not per row, so a million
interviews link in well under a second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fedlocal import FedlocalError
from fedlocal.data.ncvs.schema import month_start, reference_period
from fedlocal.data.policies.spells import days_in_force, normalise_spells
from fedlocal.vocab import EXPOSURE_RULES, POLICIES


def link_exposure(interviews: pd.DataFrame, spells: pd.DataFrame, rule: str = "any",
                  programs=POLICIES) -> pd.DataFrame:
    """Exposure columns (one float64 per program) aligned with `interviews` (needs county_fips, interview_month)."""
    if rule not in EXPOSURE_RULES:
        raise FedlocalError(f"exposure_rule {rule!r} is not one of {', '.join(EXPOSURE_RULES)}.")
    # distinct (county, month) pairs, numbered in order of first appearance: each column factorized on its own and the
    # two codes combined (joining a million 'fips|month' texts took five times as long)
    fips_code, fips_values = pd.factorize(interviews["county_fips"].astype(str))
    month_code, month_values = pd.factorize(interviews["interview_month"].astype(str))
    combo_code, pairs = pd.factorize(fips_code.astype(np.int64) * len(month_values) + month_code)
    combo = pd.DataFrame({"fips": np.asarray(fips_values, dtype=object)[pairs // len(month_values)],
                          "month": np.asarray(month_values, dtype=object)[pairs % len(month_values)]})
    if rule == "at_interview":
        first = month_start(combo["month"])
        lo, hi = first, first + pd.offsets.MonthEnd(0)
    else:
        lo, hi = reference_period(combo["month"])
    period = ((hi - lo).dt.days + 1).to_numpy(float)
    out = days_in_force(normalise_spells(spells, programs), combo["fips"], lo, hi, programs).astype(float)
    if rule in ("any", "at_interview"):
        out = (out > 0).astype(float)
    elif rule == "all":
        out = (out >= period[:, None]).astype(float)
    else:
        out = np.minimum(out / period[:, None], 1.0)
    return pd.DataFrame(out[combo_code], columns=list(programs), index=interviews.index)
