# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The NCVS person-interview sample: who is interviewed, when, and how exposed
#
# The National Crime Victimization Survey (NCVS) interviews every person 12 and older in a sample of
# addresses, every 6 months, 7 times. Each interview asks about crimes in the 6 months before the
# first day of the interview month (the reference period). The study's unit is the person-interview
# (about 354,000 persons and 1,006,000 interviews in 2005-2014).
#
# The county of each address is what links an interview to a county's immigration-enforcement
# policies, and it is exactly what the public NCVS files leave out: county and tract identifiers are
# restricted to Census research data centers, to protect respondents. So this stage has two sources
# with one schema (data/NCVS-SCHEMA.md):
#
# - `restricted`: the real files, read from the directory in the environment variable
#   `FEDLOCAL_NCVS_DIR` and checked column by column;
# - `synthetic` (the default): a simulated panel that follows the NCVS design (PPS county sample,
#   rotating addresses, movers replaced) on the real counties and policy timeline, with victimization
#   calibrated to the BJS national series and policy effects *planted* by parameters. Everything
#   computed from it is synthetic and says so.
#
# Exposure of each reference period to each policy is computed by the same code for both sources.

# %% tags=["parameters"]
input_dir = ""
output_dir = ""
ncvs_source = "synthetic"
scale = 1.0
seed = 20230417
exposure_rule = "any"
planted_odds_ratios = {"sc": {"latino": 1.2}, "tfm": {"latino": 1.2}}
county_sd = 0.25
person_sd = 0.8
first_year = 2005
last_year = 2014

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fedlocal.data.ncvs import calibration, restricted, schema, synthetic
from fedlocal.exposure.interviews import link_exposure
from fedlocal.vocab import POLICIES, RACE_ETH
from fedlocal.paths import layout
from fedlocal.report import fmt_int, fmt_num, fmt_pct, save_figure, save_table, save_variables, setup_matplotlib

setup_matplotlib()
src, out = layout(input_dir), layout(output_dir)
counties = pd.read_parquet(src.data / "county-covariates.parquet")
spells = pd.read_csv(src.data / "policy-spells.csv", dtype=str, keep_default_na=False)
label = "synthetic" if ncvs_source == "synthetic" else "NCVS restricted file"

# %% [markdown]
# ## The person-interviews
#
# Synthetic: counties are drawn with probability proportional to population (the largest with
# certainty), a new set of addresses enters every month and is interviewed 7 times, and households
# and persons come and go. Victimization follows a logistic model whose year baseline is set so the
# weighted share of interviews with a violent victimization equals the BJS-derived target (the BJS
# rate per 1,000 halved for a 6-month period and divided by 1.8 victimizations per victim; 2006,
# which BJS calls not comparable, is interpolated). The planted odds ratios are below.

# %%
if ncvs_source == "synthetic":
    interviews, info = synthetic.generate(counties, spells, scale=scale, seed=seed, exposure_rule=exposure_rule,
                                          planted_odds_ratios=planted_odds_ratios, county_sd=county_sd,
                                          person_sd=person_sd, first_year=first_year, last_year=last_year)
    planted = info["planted"]
    checks = synthetic.calibration_checks(interviews, info, scale)
else:
    interviews = restricted.load(first_year=first_year, last_year=last_year)
    expo = link_exposure(interviews, spells, exposure_rule)
    interviews = pd.concat([interviews, expo], axis=1)
    planted = pd.DataFrame(columns=["policy", "group", "odds_ratio"])
    targets = calibration.prevalence_targets(first_year, last_year)
    prev = calibration.weighted_prevalence(interviews, "year")
    checks = pd.DataFrame({"check": [f"weighted prevalence {y}" for y in targets["year"]], "target": targets["target_prevalence"],
                           "value": prev.reindex(targets["year"]).to_numpy()})
    checks["gap"] = checks["value"] / checks["target"] - 1
schema.validate(interviews, label, first_year, last_year, require_exposure=True)
schema.write(interviews, out.data / "ncvs-interviews.parquet", ncvs_source)
planted.to_csv(out.data / "ncvs-planted.csv", index=False, lineterminator="\n")
n_persons, n_interviews = interviews["person_id"].nunique(), len(interviews)
print(f"{label}: {n_persons:,} persons, {n_interviews:,} person-interviews, {interviews['county_fips'].nunique()} counties")
planted

# %% [markdown]
# ## Calibration
#
# Size (persons and interviews against the paper's, at this scale), interviews per person, weighted
# prevalence by year against its target (within 5%), and the weighted race/ethnicity mix against the
# population shares of the sampled counties (within 1 point).

# %%
display = checks.assign(
    target=[fmt_pct(v, 3) + "%" if "prevalence" in c or "share" in c else fmt_num(v, 2 if v < 100 else 0)
            for c, v in zip(checks["check"], checks["target"])],
    value=[fmt_pct(v, 3) + "%" if "prevalence" in c or "share" in c else fmt_num(v, 2 if v < 100 else 0)
           for c, v in zip(checks["check"], checks["value"])],
    gap=[(fmt_num(100 * g, 2) + " pts") if k == "absolute" else (fmt_pct(g, 1) + "%")
         for g, k in zip(checks["gap"], checks.get("kind", pd.Series(["relative"] * len(checks))))],
)
if "met" in display:
    display["met"] = np.where(checks["met"], "yes", "no")
display = display.drop(columns=[c for c in ("tolerance", "kind") if c in display])
display.columns = [c if c != "check" else f"check ({label})" for c in display.columns]
save_table(checks, out, "ncvs-calibration", display=display)
if "met" in checks:
    print("calibration targets met:", int(checks["met"].sum()), "of", len(checks))
display

# %% [markdown]
# ## The sample by year and group, and its exposure
#
# Interviews per year (a full year of rotation is about a tenth of the sample), the race/ethnicity
# mix, and the share of interviews whose reference period was exposed to each policy under the
# rule `exposure_rule`.

# %%
by_year = interviews.groupby("year").agg(interviews=("person_id", "size"), persons=("person_id", "nunique"))
mix = pd.crosstab(interviews["year"], interviews["race_eth"], normalize="index").reindex(columns=list(RACE_ETH), fill_value=0.0)
expo = interviews.groupby("year")[list(POLICIES)].mean()
table = pd.concat([by_year, mix.add_prefix("share_"), expo.add_prefix("exposed_")], axis=1).reset_index()
shown = table.copy()
for c in shown.columns:
    if c.startswith(("share_", "exposed_")):
        shown[c] = [fmt_pct(v) for v in table[c]]
    elif c in ("interviews", "persons"):
        shown[c] = [fmt_int(v) for v in table[c]]
shown.columns = [c.replace("share_", "% ").replace("exposed_", "% exposed ") for c in shown.columns]
shown = shown.rename(columns={"year": f"year ({label})"})
save_table(table, out, "ncvs-sample-by-year", display=shown)
shown

# %%
fig, ax = plt.subplots()
for p in POLICIES:
    ax.plot(expo.index, 100 * expo[p], marker="o", label=p)
ax.set_xlabel("interview year")
ax.set_ylabel(f"% of interviews exposed (rule: {exposure_rule})")
ax.set_title(f"Share of {label} NCVS interviews exposed to each policy")
ax.legend(frameon=False)
save_figure(fig, out, "ncvs-exposure-by-year")

# %% [markdown]
# ## Violent victimization by year and group against the BJS series
#
# BJS's national rate (per 1,000 persons 12+) is turned into the 6-month prevalence target; the
# dashed line is the target, the points the weighted prevalence in the sample, overall and by group.

# %%
targets = calibration.prevalence_targets(first_year, last_year)
prev = calibration.weighted_prevalence(interviews, "year")
prev_group = calibration.weighted_prevalence(interviews, ["year", "race_eth"]).unstack().reindex(columns=list(RACE_ETH))
fig, ax = plt.subplots()
ax.plot(targets["year"], 100 * targets["target_prevalence"], "k--", label="target from BJS rate (2006 interpolated)")
ax.plot(prev.index, 100 * prev, "ko-", label="all persons")
for g in RACE_ETH:
    ax.plot(prev_group.index, 100 * prev_group[g], marker=".", alpha=0.8, label=g)
ax.set_xlabel("interview year")
ax.set_ylabel("% of interviews with a violent victimization")
ax.set_title(f"Violent victimization in the 6-month reference period ({label})")
ax.legend(frameon=False, fontsize=7, ncol=2)
save_figure(fig, out, "ncvs-prevalence-by-year")

# %%
planted_sc = planted.set_index(["policy", "group"])["odds_ratio"].get(("sc", "latino"), float("nan")) if len(planted) else float("nan")
save_variables(out, "ncvs", {
    "source": label,
    "persons": fmt_int(n_persons),
    "interviews": fmt_int(n_interviews),
    "counties": int(interviews["county_fips"].nunique()),
    "interviews_per_person": fmt_num(n_interviews / n_persons, 2),
    "prevalence_all": fmt_pct(float(np.average(interviews["violent"], weights=interviews["weight"])), 2),
    "exposed_sc_2014": fmt_pct(expo.loc[last_year, "sc"]) if last_year in expo.index else "n/a",
    "exposure_rule": exposure_rule,
    "planted_sc_latino": "none" if np.isnan(planted_sc) else fmt_num(planted_sc, 2),
})
print(f"weighted prevalence {first_year}-{last_year}: {fmt_pct(float(np.average(interviews['violent'], weights=interviews['weight'])), 2)}%")
