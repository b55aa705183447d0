"""Exposure of each metropolitan area to each county policy, year by year, and its adoption years.

A county's exposure in a year is the share of its months under the policy (from the county x month
panel of stage 01); an MSA's is the population-weighted mean over its counties. The crime tables
span 2000-2017, the policy panel 2005-2014: the years outside the panel are coded from what is known
about each program (see `county_year_exposure`). Anti-detainer exposure is missing after the policy data
end: the data hold no adoptions after 2014, so freezing the December 2014 status would make every later
adopter a never-treated control and make MSAs whose counties adopted late in 2014 "adopt" in 2015 by
construction; the anti-detainer analysis ends where the policy data end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fedlocal import FedlocalError
from fedlocal.data.counties import county_frame
from fedlocal.data.ucr import YEARS
from fedlocal.vocab import POLICIES


def county_year_exposure(panel: pd.DataFrame, years=YEARS) -> pd.DataFrame:
    """County x year share of months each policy was in force, 2000-2017, from the 2005-2014 monthly panel.

    Outside the panel's window: 2000-2004 are 0 for every policy (SC began in October 2008, the first
    county 287(g) agreements and anti-detainer policies came later; state-agency 287(g) agreements are
    not county policies). 2015-2017: SC is missing - it was suspended in November 2014 and replaced by
    PEP while fingerprint sharing went on, so neither 0 nor 1 is right; anti-detainer policies are missing
    too - adoptions after 2014 are not in the data, and carrying December 2014 forward would turn late-2014
    adopters into 2015 adopters and later adopters into never-treated controls; 287(g) jail agreements keep
    their December 2014 status (no model uses them after 2014); task-force agreements ended in 2012 and stay 0.
    """
    need = {"fips", "month", *POLICIES}
    if not need <= set(panel.columns):
        raise FedlocalError(f"policy panel lacks columns {sorted(need - set(panel.columns))}; "
                            "expected data/policy-panel.parquet from stage 01.")
    p = panel[["fips", "month", *POLICIES]].copy()
    month = p.month.astype(str)
    p["year"] = month.str[:4].astype(int)
    first, last = int(p.year.min()), int(p.year.max())  # the panel's window, 2005-2014
    inside = p.groupby(["fips", "year"], as_index=False)[list(POLICIES)].mean()
    final = p[month == month.max()].set_index("fips")[list(POLICIES)]  # status in the panel's last month
    frames = [inside[inside.year.between(first, last)]]
    fips = sorted(p.fips.unique())
    for y in years:
        if y < first:
            frames.append(pd.DataFrame({"fips": fips, "year": y, **{k: 0.0 for k in POLICIES}}))
        elif y > last:
            d = final.reindex(fips).astype(float)
            frames.append(pd.DataFrame({"fips": fips, "year": y, "sc": np.nan, "jem": d.jem.values,
                                        "tfm": 0.0, "antidetainer": np.nan}))
    out = pd.concat(frames, ignore_index=True)
    return out[out.year.isin(list(years))].sort_values(["fips", "year"]).reset_index(drop=True)


def msa_exposure(identities: pd.DataFrame, county_exposure: pd.DataFrame, county_pop: pd.DataFrame | None = None) -> pd.DataFrame:
    """Population-weighted share of each MSA's counties covered by each policy, every year.

    `identities` has msa_id and counties (the identity's county list, e.g. `ucr.identity.anchor_compositions`
    or the linked rows' anchor_counties); `county_exposure` fips, year and the policy columns (see
    `county_year_exposure`); `county_pop` optional fips, year, population (county covariates,
    2005-2014) - years or counties it lacks use the 2010 census count. Returns msa_id, year and one
    column per policy in [0, 1] (the share of the MSA's person-months under the policy) for every
    year of `county_exposure`, whether or not the FBI table has the MSA that year - so an adoption
    year does not depend on which years an MSA's crime counts were published.
    """
    cf = county_frame()[["fips", "pop2010"]]
    ids = identities[["msa_id", "counties"]].drop_duplicates("msa_id").explode("counties").rename(columns={"counties": "fips"})
    long = ids.merge(county_exposure, on="fips", how="inner").merge(cf, on="fips", how="left")
    if county_pop is not None:
        long = long.merge(county_pop[["fips", "year", "population"]], on=["fips", "year"], how="left")
        long["weight"] = long.population.fillna(long.pop2010).astype(float)
    else:
        long["weight"] = long.pop2010.astype(float)
    out = long[["msa_id", "year"]].drop_duplicates().set_index(["msa_id", "year"]).sort_index()
    for k in POLICIES:
        num = (long[k] * long.weight).groupby([long.msa_id, long.year]).sum(min_count=1)
        den = long.weight.groupby([long.msa_id, long.year]).sum()
        has_nan = long[k].isna().groupby([long.msa_id, long.year]).any()
        out[k] = (num / den).where(~has_nan)
    return out.reset_index()


def policy_data_last_year(exposure: pd.DataFrame, policy: str) -> int:
    """Last year with `policy` coded (not missing) for any MSA: the analysis of that policy cannot go further."""
    return int(exposure.dropna(subset=[policy]).year.max())


def first_exposure_years(exposure: pd.DataFrame, policy: str) -> pd.Series:
    """First year each MSA has any exposure to `policy` (0 = never): the adoption year when years only partly
    under the policy count as treated."""
    e = exposure.dropna(subset=[policy])
    first = e[e[policy] > 0].groupby("msa_id").year.min()
    return first.reindex(sorted(exposure.msa_id.unique())).fillna(0).astype(int).rename(f"{policy}_first_exposure_year")


def adoption_years(exposure: pd.DataFrame, policy: str, share: float = 0.5) -> pd.Series:
    """First year each MSA's exposure to `policy` reaches `share` (0 = never, the convention of
    Callaway-Sant'Anna software). Exposure is the population-weighted share of person-months, so an
    MSA whose counties all switch on in November counts from the next year."""
    e = exposure.dropna(subset=[policy])
    first = e[e[policy] >= share].groupby("msa_id").year.min()
    return first.reindex(sorted(exposure.msa_id.unique())).fillna(0).astype(int).rename(f"{policy}_adoption_year")


def link_exposure(crime: pd.DataFrame, exposure: pd.DataFrame, adoption_share: float,
                  adopting=("sc", "antidetainer")) -> pd.DataFrame:
    """MSA x year crime rows (msa_id, year) with that year's exposure to each policy and, for the policies in
    `adopting`, each MSA's adoption year (`<policy>_adoption_year`, exposure reaches `adoption_share`) and first
    year of any exposure (`<policy>_first_exposure_year`); 0 = never."""
    adoption = pd.concat([f(exposure, policy, adoption_share) if f is adoption_years else f(exposure, policy)
                          for policy in adopting for f in (adoption_years, first_exposure_years)], axis=1)
    return (crime.merge(exposure, on=["msa_id", "year"], how="left")
            .merge(adoption, left_on="msa_id", right_index=True, how="left"))
