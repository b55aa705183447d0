"""What the synthetic panel is calibrated to: BJS's national violent victimization series and its group rates.

BJS publishes incident rates (violent victimizations per 1,000 persons 12+ per year, series
counted up to 10). The panel's outcome is prevalence: the share of person-interviews with at least
one violent victimization in the 6-month reference period. The translation:

    prevalence_6m(year) = rate(year) / 1000 / 2 / m

The rate is halved because a reference period is half a year, and divided by m, the mean number of
violent victimizations a victim reports in one reference period (series counted up to 10). m comes
from the victim count distribution `VICTIM_COUNT_PROBS` (1.80): it is chosen so that the implied
annual prevalence in 2014 (two reference periods of 0.56%, about 1.1%) matches the roughly 1.1% of
persons 12+ BJS reports as victimized in that year. BJS says 2006 is not comparable with other
years (sample redesign), so its target is interpolated between 2005 and 2007.

Group gradients come from Criminal Victimization 2017, table 8 (2015-2017, the only group table in
the registered inputs): each group's rate relative to the total, averaged over the three years.

BJS's violent victimization rates of white, black, Hispanic and other persons by year (white and black exclude
Hispanics) are in data/curated/bjs_violent_rate_by_race.csv: 2002 and 2005-2017 from BJS's NCVS dashboard
(N-DASH), each year's rates consistent with BJS's published total of that year and 2015-2017 with table 8 above.
With `synthetic_group_gaps: bjs_by_year` the race/ethnicity gradient is raked year by year to the 2005-2014 rates
(`race_relative_rates_by_year`); by default (`bjs_2015_2017`) it is the table-8 average, and 2002 and 2013 are held
out to validate the gaps (`group_gap_validation`).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from fedlocal import registry
from fedlocal.data import bjs
from fedlocal.synthetic.panel import PAPER_INTERVIEWS, PAPER_PERSONS, PAPER_WINDOW, Panel, SyntheticInputError
from fedlocal.vocab import RACE_ETH, SYNTHETIC_GROUP_GAPS

GROUP_RATES = "bjs_ncvs_tables/cv17/cv17t08.csv"
GROUP_RATES_BY_YEAR = "curated/bjs_violent_rate_by_race.csv"
HELDOUT_YEARS = (2002, 2013)  # not in the default calibration (2015-2017) and not 2006
GROUP_GAPS = SYNTHETIC_GROUP_GAPS
HELDOUT_GROUPS = {"black": "black", "hispanic": "latino"}  # held-out table's group -> race_eth; rates relative to white
NOT_COMPARABLE = (2006,)

# Violent victimizations a victim reports in one 6-month reference period: 1, 2, 3, 4, or a series (6-10, capped at 10).
VICTIM_COUNT_PROBS = {1: 0.76, 2: 0.10, 3: 0.04, 4: 0.02, 6: 0.016, 7: 0.016, 8: 0.016, 9: 0.016, 10: 0.016}
MEAN_COUNT_PER_VICTIM = float(sum(k * p for k, p in VICTIM_COUNT_PROBS.items()))

# NCVS household income bracket (1-14) -> BJS table-8 income category
INCOME_CATEGORY = {1: "<10k", 2: "<10k", 3: "<10k", 4: "10-15k", 5: "10-15k", 6: "15-25k", 7: "15-25k", 8: "15-25k",
                   9: "25-35k", 10: "25-35k", 11: "35-50k", 12: "35-50k", 13: "50-75k", 14: "75k+"}
AGE_GROUPS = ("12-17", "18-24", "25-34", "35-49", "50-64", "65+")
AGE_BREAKS = (12, 18, 25, 35, 50, 65, 200)


def age_group(age) -> np.ndarray:
    """BJS age group label for each age."""
    return np.asarray(AGE_GROUPS, dtype=object)[np.searchsorted(AGE_BREAKS, np.asarray(age), side="right") - 1]


def national_series() -> pd.DataFrame:
    """BJS violent victimization rate per 1,000 persons 12+ by year (series counted up to 10)."""
    df = bjs.national_violent_rates()
    return df[["year", "violent_rate_per_1000_12plus"]].rename(columns={"violent_rate_per_1000_12plus": "bjs_rate"})


def prevalence_targets(first_year: int = 2005, last_year: int = 2014) -> pd.DataFrame:
    """year, bjs_rate, comparable, target_rate (2006 interpolated), target_prevalence (6-month, share of interviews)."""
    s = national_series().set_index("year")["bjs_rate"]
    years = list(range(first_year, last_year + 1))
    target = s.copy().astype(float)
    for y in NOT_COMPARABLE:
        target[y] = (s[y - 1] + s[y + 1]) / 2
    out = pd.DataFrame({"year": years, "bjs_rate": s.loc[years].to_numpy(),
                        "comparable": [y not in NOT_COMPARABLE for y in years],
                        "target_rate": target.loc[years].to_numpy()})
    out["target_prevalence"] = out["target_rate"] / 1000 / 2 / MEAN_COUNT_PER_VICTIM
    return out


def _read_table8() -> pd.DataFrame:
    raw = registry.fetch(GROUP_RATES).read_bytes().decode("latin-1")
    rows = pd.read_csv(io.StringIO(raw), header=None, skiprows=11, dtype=str, keep_default_na=False)
    rows = rows[rows[1].str.strip() != ""]
    # columns: 2 = 2015, 5 = 2016, 3 = 2017 (violent victimization; the table repeats 2017 beside each comparison year)
    vals = rows[[2, 5, 3]].apply(pd.to_numeric, errors="coerce")
    out = pd.DataFrame({"label": rows[1].str.strip().str.replace(r"[^\x20-\x7e]", "-", regex=True),
                        "rate": vals.mean(axis=1)})
    return out.dropna().reset_index(drop=True)


def relative_rates() -> dict[str, dict[str, float]]:
    """Group rate / total rate (BJS 2015-2017 averages) for sex, race_eth, age group, marital status and income."""
    t = _read_table8().set_index("label")["rate"]
    total = t["Total"]
    rr = lambda label: float(t[label] / total)  # noqa: E731
    divorced, separated = rr("Divorced"), rr("Separated")
    return {
        "sex": {"male": rr("Male"), "female": rr("Female")},
        # BJS's "Other" (incl. Asian) rates are unstable; the non-Latino other group is given the total rate.
        "race_eth": {"white": rr("White"), "black": rr("Black"), "latino": rr("Hispanic"), "other": 1.0},
        "age": {g: rr(lbl) for g, lbl in zip(AGE_GROUPS, ["12-17", "18-24", "25-34", "35-49", "50-64", "65 or older"])},
        # divorced and separated are one code in the schema: 3 divorced to 1 separated, roughly their population ratio
        "marital": {"never": rr("Never married"), "married": rr("Married"), "widowed": rr("Widowed"),
                    "divorced_separated": 0.75 * divorced + 0.25 * separated},
        "income": {"<10k": rr("Less than $10,000"), "10-15k": rr("$10,000-$14,999"), "15-25k": rr("$15,000-$24,999"),
                   "25-35k": rr("$25,000-$34,999"), "35-50k": rr("$35,000-$49,999"), "50-75k": rr("$50,000-$74,999"),
                   "75k+": rr("$75,000 or more")},
    }


def factor_levels(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """The person-interview's level of each calibrated factor (keys as in `relative_rates`)."""
    return {
        "sex": df["sex"].to_numpy(dtype=object),
        "race_eth": df["race_eth"].to_numpy(dtype=object),
        "age": age_group(df["age"].to_numpy()),
        "marital": df["marital"].to_numpy(dtype=object),
        "income": np.asarray([INCOME_CATEGORY[int(b)] for b in range(1, 15)],
                             dtype=object)[df["income_bracket"].to_numpy().astype(int) - 1],
    }


def weighted_prevalence(df: pd.DataFrame, by) -> pd.Series:
    """Weighted share of person-interviews with a violent victimization, by the given column(s)."""
    w = df["weight"].to_numpy()
    tmp = pd.DataFrame({"wv": w * df["violent"].to_numpy(), "w": w})
    keys = [df[b].to_numpy() for b in ([by] if isinstance(by, str) else by)]
    g = tmp.groupby(keys, sort=True).sum()
    return g["wv"] / g["w"]


def calibration_checks(interviews: pd.DataFrame, panel: Panel, targets: pd.DataFrame, scale: float) -> pd.DataFrame:
    """check, target, value, gap, tolerance, kind (relative or absolute), met: the synthetic panel against its targets."""
    df = interviews
    rows = []
    planned = panel.planned
    full_window = (int(df["year"].min()), int(df["year"].max())) == PAPER_WINDOW
    for what, paper, got, plan in (("persons", PAPER_PERSONS, df["person_id"].nunique(), planned["persons"]),
                                   ("interviews", PAPER_INTERVIEWS, len(df), planned["interviews"])):
        target = paper * scale if full_window else plan
        rows.append({"check": f"{what} (scale {scale:g})", "target": target, "value": float(got),
                     "gap": got / target - 1, "tolerance": 0.05, "kind": "relative"})
    per_person = len(df) / df["person_id"].nunique()
    rows.append({"check": "interviews per person", "target": PAPER_INTERVIEWS / PAPER_PERSONS, "value": per_person,
                 "gap": per_person / (PAPER_INTERVIEWS / PAPER_PERSONS) - 1, "tolerance": 0.05, "kind": "relative"})
    prev = weighted_prevalence(df, "year")
    for t in targets.itertuples():
        if t.year in prev.index:
            rows.append({"check": f"weighted prevalence {t.year}" + ("" if t.comparable else " (interpolated target)"),
                         "target": t.target_prevalence, "value": prev[t.year], "gap": prev[t.year] / t.target_prevalence - 1,
                         "tolerance": 0.05, "kind": "relative"})
    s = panel.counties
    share_target = (np.stack(s["race_shares"].to_numpy()) * s["represents"].to_numpy()[:, None]).sum(axis=0) / s["represents"].sum()
    w = df["weight"].to_numpy()
    for j, g in enumerate(RACE_ETH):
        got = w[df["race_eth"].to_numpy() == g].sum() / w.sum()
        rows.append({"check": f"share {g} (weighted)", "target": share_target[j], "value": got,
                     "gap": got - share_target[j], "tolerance": 0.01, "kind": "absolute"})
    out = pd.DataFrame(rows)
    out["met"] = out["gap"].abs() <= out["tolerance"]
    return out


def prevalence_checks(interviews: pd.DataFrame, first_year: int = 2005, last_year: int = 2014) -> pd.DataFrame:
    """check, target, value, gap: any source's weighted prevalence by year beside the BJS-derived target (no tolerance:
    for real data the gap is a finding, not a calibration)."""
    targets = prevalence_targets(first_year, last_year)
    prev = weighted_prevalence(interviews, "year")
    out = pd.DataFrame({"check": [f"weighted prevalence {y}" for y in targets["year"]], "target": targets["target_prevalence"],
                        "value": prev.reindex(targets["year"]).to_numpy()})
    out["gap"] = out["value"] / out["target"] - 1
    return out


def group_rates_by_year() -> pd.DataFrame:
    """year, group (white, black, hispanic, other), violent_rate_per_1000_12plus, rate_se, victimizations and
    provenance: BJS's rates by race and Hispanic origin, 2002 and 2005-2017."""
    return pd.read_csv(registry.fetch(GROUP_RATES_BY_YEAR), dtype={"year": int})


def heldout_group_rates() -> pd.DataFrame:
    """The rows of `group_rates_by_year` for the years held out of the default calibration (HELDOUT_YEARS)."""
    rates = group_rates_by_year()
    return rates[rates["year"].isin(HELDOUT_YEARS)].reset_index(drop=True)


def race_relative_rates_by_year(first_year: int = 2005, last_year: int = 2014) -> dict[int, dict[str, float]]:
    """year -> race_eth -> that year's BJS rate relative to the year's total (white, black, latino; other 1.0 as in
    `relative_rates`). The total is the four groups' victimizations over their population (rate = count / population),
    so each year's ratios come from one table. 2006 (not comparable, see NOT_COMPARABLE) is the mean of 2005 and 2007.
    """
    rates = group_rates_by_year()
    rates = rates.assign(population=rates["victimizations"] / rates["violent_rate_per_1000_12plus"] * 1000)
    out = {}
    for year, g in rates.groupby("year"):
        total = 1000 * g["victimizations"].sum() / g["population"].sum()
        r = g.set_index("group")["violent_rate_per_1000_12plus"] / total
        out[int(year)] = {"white": float(r["white"]), "black": float(r["black"]), "latino": float(r["hispanic"]), "other": 1.0}
    for year in NOT_COMPARABLE:
        if year - 1 in out and year + 1 in out:
            out[year] = {k: (out[year - 1][k] + out[year + 1][k]) / 2 for k in out[year]}
    missing = [y for y in range(first_year, last_year + 1) if y not in out]
    if missing:
        raise SyntheticInputError(f"{GROUP_RATES_BY_YEAR}: no BJS rates by race for {missing}; "
                                     "synthetic_group_gaps: bjs_by_year needs every year of the window (or use bjs_2015_2017).")
    return {y: out[y] for y in range(first_year, last_year + 1)}


def group_gap_validation(interviews: pd.DataFrame, group_gaps: str = "bjs_2015_2017") -> pd.DataFrame:
    """The group gaps (black and Latino relative to white) of a panel beside BJS figures of 2002 and 2013.

    One row per year (HELDOUT_YEARS) x group: ``bjs_heldout`` (BJS rate ratio that year), ``calibration`` (the ratio
    the synthetic panel is raked to: BJS 2015-2017 by default, that year's BJS ratio with ``bjs_by_year``, missing
    for a year outside the panel), ``held_out`` (whether that year's BJS figures were left out of the raking: always
    by default, 2002 only with ``bjs_by_year``), ``panel_year`` (the panel's weighted prevalence ratio that year,
    missing outside its window), ``panel_all_years`` (pooled over its years) and ``gap`` (the panel's ratio, that
    year's where there is one, relative to BJS's, minus 1). Rate ratios stand for prevalence ratios, as in the
    calibration itself.
    """
    if group_gaps not in GROUP_GAPS:
        raise SyntheticInputError(f"synthetic_group_gaps: {group_gaps!r} is not one of {list(GROUP_GAPS)}.")
    held = heldout_group_rates().pivot(index="year", columns="group", values="violent_rate_per_1000_12plus")
    by_year = weighted_prevalence(interviews, ["year", "race_eth"]).unstack()
    pooled = weighted_prevalence(interviews, "race_eth")
    if group_gaps == "bjs_by_year":
        yearly = race_relative_rates_by_year(int(interviews["year"].min()), int(interviews["year"].max()))
        target = {y: {g: rr[g] / rr["white"] for g in rr} for y, rr in yearly.items()}
    else:
        rr = relative_rates()["race_eth"]
        target = {y: {g: rr[g] / rr["white"] for g in rr} for y in held.index}
    rows = []
    for year in held.index:
        for bjs_group, group in HELDOUT_GROUPS.items():
            in_window = year in by_year.index and {group, "white"} <= set(by_year.columns)
            panel_year = float(by_year.loc[year, group] / by_year.loc[year, "white"]) if in_window else np.nan
            # a small restricted extract may lack a group altogether: its ratios are missing, not an error
            panel_all = float(pooled[group] / pooled["white"]) if {group, "white"} <= set(pooled.index) else np.nan
            observed = panel_year if in_window else panel_all
            heldout = float(held.loc[year, bjs_group] / held.loc[year, "white"])
            rows.append({"year": int(year), "group": group, "bjs_heldout": heldout,
                         "calibration": target.get(year, {}).get(group, np.nan),
                         "held_out": group_gaps == "bjs_2015_2017" or year not in target,
                         "panel_year": panel_year, "panel_all_years": panel_all, "gap": observed / heldout - 1})
    return pd.DataFrame(rows)
