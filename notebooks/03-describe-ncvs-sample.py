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
synthetic_group_gaps = "bjs_2015_2017"
first_year = 2005
last_year = 2014
disclosure = False  # the runner applies the disclosure rules to this stage's outputs when on (or restricted)

# %%
import numpy as np
import pandas as pd

from fedlocal.data.ncvs import restricted, schema
from fedlocal.exposure.interviews import link_exposure
from fedlocal.paths import layout, output_layout
from fedlocal.report import figures, save_figure, save_table, save_variables, setup_matplotlib, tables, variables
from fedlocal.synthetic import calibration, outcomes, panel

setup_matplotlib()
source_dir, output = layout(input_dir), output_layout(output_dir)
counties = pd.read_parquet(source_dir.data / "county-covariates.parquet")
spells = pd.read_csv(source_dir.data / "policy-spells.csv", dtype=str, keep_default_na=False)

# %% [markdown]
# ## The person-interviews
#
# Three steps, the same for both sources: load the person-interviews (the restricted files, or a
# synthetic panel drawn on the real counties), link each reference period to the county's policy
# spells, and, for the synthetic source only, draw who is victimized.
#
# Synthetic: counties are drawn with probability proportional to population (the largest with
# certainty), a new set of addresses enters every month and is interviewed 7 times, and households
# and persons come and go. Victimization follows a logistic model whose year baseline is set so the
# weighted share of interviews with a violent victimization equals the BJS-derived target (the BJS
# rate per 1,000 halved for a 6-month period and divided by 1.8 victimizations per victim; 2006,
# which BJS calls not comparable, is interpolated). One random generator, seeded by `seed`, draws the
# panel and then the outcomes. The planted odds ratios are below.

# %%
if ncvs_source == "synthetic":
    random_generator = np.random.default_rng(seed)
    synthetic_panel = panel.draw_panel(counties, scale, random_generator, first_year=first_year, last_year=last_year)
    interviews = synthetic_panel.interviews
else:
    interviews = restricted.load(first_year=first_year, last_year=last_year)

interviews = interviews.join(link_exposure(interviews, spells, exposure_rule))

if ncvs_source == "synthetic":
    interviews, synthetic_outcomes = outcomes.draw_outcomes(synthetic_panel, interviews, counties, random_generator,
                                                            planted_odds_ratios, county_sd=county_sd, person_sd=person_sd,
                                                            group_gaps=synthetic_group_gaps)
    planted = synthetic_outcomes.planted
    checks = calibration.calibration_checks(interviews, synthetic_panel, synthetic_outcomes.targets, scale)
else:
    planted = None
    checks = calibration.prevalence_checks(interviews, first_year, last_year)

schema.validate(interviews, f"{ncvs_source} NCVS", first_year, last_year, require_exposure=True)
schema.write(interviews, output.data / "ncvs-interviews.parquet", ncvs_source)
outcomes.write_planted(planted, output.data / "ncvs-planted.csv")
print(f"{ncvs_source}: {interviews['person_id'].nunique():,} persons, {len(interviews):,} person-interviews, "
      f"{interviews['county_fips'].nunique()} counties")
planted

# %% [markdown]
# ## Calibration
#
# Size (persons and interviews against the paper's, at this scale), interviews per person, weighted
# prevalence by year against its target (within 5%), and the weighted race/ethnicity mix against the
# population shares of the sampled counties (within 1 point). For the restricted file only the
# prevalence is set beside the BJS-derived target.

# %%
calibration_display = tables.calibration(checks, ncvs_source)
save_table(checks, output, "ncvs-calibration", display=calibration_display)
if "met" in checks:
    print("calibration targets met:", int(checks["met"].sum()), "of", len(checks))
calibration_display

# %% [markdown]
# ## The group gaps against BJS figures held out of the calibration
#
# By default the synthetic panel's race gradient is raked to BJS's 2015–2017 rates. BJS's violent victimization
# rates of white, black and Hispanic persons in 2002 and 2013 (`data/curated/bjs_violent_rate_by_race.csv`, from
# BJS's NCVS dashboard) were not used: the panel's black and Latino prevalence relative to white is set beside them,
# that year's where the panel covers it (2013), all its years pooled where it does not (2002). With
# `synthetic_group_gaps = "bjs_by_year"` the gradient is raked to each year's BJS rates, 2005–2014, so 2013 is
# then a check of the raking, not a held-out year.

# %%
raked_to = synthetic_group_gaps if ncvs_source == "synthetic" else "bjs_2015_2017"  # restricted data: nothing raked
group_gaps = calibration.group_gap_validation(interviews, raked_to)
save_table(group_gaps, output, "ncvs-group-gap-validation", display=tables.group_gap_validation(group_gaps, ncvs_source))
tables.group_gap_validation(group_gaps, ncvs_source)

# %% [markdown]
# ## The sample by year and group, and its exposure
#
# Interviews per year (a full year of rotation is about a tenth of the sample), the race/ethnicity
# mix, and the share of interviews whose reference period was exposed to each policy under the
# rule `exposure_rule`.

# %%
sample_by_year = tables.sample_by_year(interviews)
sample_by_year_display = tables.sample_by_year_display(sample_by_year, ncvs_source)
save_table(sample_by_year, output, "ncvs-sample-by-year", display=sample_by_year_display)
sample_by_year_display

# %%
exposed = tables.exposure_by_year(interviews)
save_figure(figures.exposure_by_year(exposed, exposure_rule, ncvs_source), output, "ncvs-exposure-by-year")

# %% [markdown]
# ## Violent victimization by year and group against the BJS series
#
# BJS's national rate (per 1,000 persons 12+) is turned into the 6-month prevalence target; the
# dashed line is the target, the points the weighted prevalence in the sample, overall and by group.

# %%
targets = calibration.prevalence_targets(first_year, last_year)
prevalence = calibration.weighted_prevalence(interviews, "year")
prevalence_by_group = calibration.weighted_prevalence(interviews, ["year", "race_eth"]).unstack()
save_figure(figures.prevalence_by_year(targets, prevalence, prevalence_by_group, ncvs_source), output,
            "ncvs-prevalence-by-year")

# %%
ncvs_variables = variables.ncvs(interviews, ncvs_source, exposed, planted, exposure_rule, last_year)
ncvs_variables.update(variables.group_gap_validation(group_gaps))
save_variables(output, "ncvs", ncvs_variables)
print(f"weighted prevalence {first_year}-{last_year}: {ncvs_variables['prevalence_all']}%")
