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
# # What can the paper's design detect?
#
# Notebook 04 fits the models once, on one synthetic panel. One panel cannot say whether an estimator
# is right on average, whether its 95% intervals cover 95% of the time, how often it flags an effect
# that is not there, or how large an effect has to be before it is found. Replications can: this
# notebook draws many synthetic NCVS panels (the same simulation as stage 03, each with its own seed)
# and fits the between–within logit and the conditional logit per group on every one of them, in
#
# * a **null** world, where no policy changes anyone's risk: how often a 5% test rejects there is the
#   test's *size*, and how often the 95% interval holds 0 its *coverage*;
# * the **planted** world of the default run (the odds ratios in `planted_odds_ratios`): the *power*
#   to detect exactly the effects the canonical run plants;
# * optionally (`grid` in `montecarlo_worlds`), worlds planting one odds ratio of `montecarlo_or_grid`
#   in every policy × group cell, for a power curve simulated point by point;
# * optionally, worlds where the estimators can fail: `shocks` (the planted world with county × year
#   shocks) and `pretrend` (no effect, but counties trending differently before their Secure
#   Communities activation), both calibrated to police-recorded violent crime of metro areas.
#
# The power curve and the *minimum detectable odds ratio* at 80% power come from the null world: its
# estimates moved by the log odds ratio, with their standard errors kept (an approximation, checked
# below against the power simulated directly in the planted world).
#
# Each replication is saved as it finishes, and each world's replications end up in one file
# (`montecarlo-replications/<study>/<world>/replications.parquet` in the run's data folder). The
# canonical study's files are committed: a rerun with the default parameters, in a fresh clone too,
# reads them instead of fitting 400 panels again; changed parameters start a study of their own. Each
# replication has its own seed (from the run's `seed`, the world and the replication number), so
# results depend neither on the order nor on the number of workers. A rate from R replications is
# uncertain: every rate comes with its Wilson 95% interval.

# %% tags=["parameters"]
input_dir = ""
output_dir = ""
seed = 20230417
exposure_rule = "any"
planted_odds_ratios = {"sc": {"latino": 1.2}, "tfm": {"latino": 1.2}}
county_sd = 0.25
person_sd = 0.8
first_year = 2005
last_year = 2014
cluster = "county"
montecarlo_replications = 20
montecarlo_worlds = ["null", "planted"]
montecarlo_or_grid = [1.2, 1.5, 2.0, 3.0]
montecarlo_scale = 0.1
montecarlo_engine = "joblib"
montecarlo_workers = 2
montecarlo_pinned_spells = False
montecarlo_stress_worlds = ["harder"]
montecarlo_stress_replications = 20
montecarlo_stress_scale = 0.1
synthetic_time_in_sample = 0.0
montecarlo_few_cluster_replications = 20
montecarlo_few_cluster_scale = 0.1

# %%
import pandas as pd

from fedlocal.montecarlo import replicate, summary
from fedlocal.params import SCHEMA
from fedlocal.paths import layout, output_layout
from fedlocal.report import fewcluster, save_figure, save_table, save_variables, setup_matplotlib
from fedlocal.report import montecarlo as report
from fedlocal.report import montecarlo_stress as stress_report
from fedlocal.synthetic import stress

setup_matplotlib()
source_dir, output = layout(input_dir), output_layout(output_dir)
counties = pd.read_parquet(source_dir.data / "county-covariates.parquet")
spells = pd.read_csv(source_dir.data / "policy-spells.csv", dtype=str, keep_default_na=False)
pinned_spells = pd.read_csv(layout("").data / "montecarlo-inputs" / "policy-spells.csv", dtype=str, keep_default_na=False)
study_spells = pinned_spells if montecarlo_pinned_spells else spells
msa_crime = pd.read_csv(source_dir.data / "msa-crime.csv")

# %% [markdown]
# ## Which policy coding the panels use
# With `montecarlo_pinned_spells` the panels use the policy spells the committed canonical study was
# drawn with (`data/derived/montecarlo-inputs/policy-spells.csv`), so that a correction of the policy
# coding does not refit an hour of panels. The counties whose spells differ from this run's coding:

# %%
coding_changes = replicate.spell_differences(pinned_spells, spells)
coding_changes

# %% [markdown]
# ## How large the stress worlds' violations are
# The `shocks` and `pretrend` worlds take their sizes from the FBI's metro-area violent crime rates
# (stage 06): the spread of log rates around metro and year effects, and how much the log rate of
# metros moved per year before their Secure Communities activation relative to the others
# (`synthetic/stress.py`). With `montecarlo_pinned_spells` the stress worlds keep the sizes the committed
# stress study was drawn with (`data/derived/montecarlo-inputs/stress-calibration.json`), beside this run's.

# %%
stress_calibration = stress.calibrate(msa_crime, first_year, last_year)
pinned_calibration_file = layout("").data / "montecarlo-inputs" / "stress-calibration.json"
pinned_calibration = stress.read_calibration(pinned_calibration_file) if montecarlo_pinned_spells else None
pd.DataFrame({"this run": stress_calibration, "committed stress study": pinned_calibration or {}})

# %% [markdown]
# ## The replications
# Each panel is drawn at `montecarlo_scale` of the paper's sample (1.0 is about 354,000 persons and a
# million interviews). The engine records what it ran, on which workers and how long each replication
# took in `run.json` beside the replications (not printed here, so that a rerun writes the same notebook).

# %%
worlds = replicate.study_worlds(montecarlo_worlds, planted_odds_ratios, montecarlo_or_grid, montecarlo_scale,
                                exposure_rule=exposure_rule, county_sd=county_sd, person_sd=person_sd,
                                first_year=first_year, last_year=last_year, cluster=cluster,
                                stress=pinned_calibration or stress_calibration)
study = replicate.run_study(counties, study_spells, worlds, montecarlo_replications,
                            source_dir.data / "montecarlo-replications", engine=montecarlo_engine,
                            workers=montecarlo_workers, base_seed=seed, log=False,
                            committed=layout("").data / "montecarlo-replications")
print(f"{len(worlds)} worlds x {montecarlo_replications} replications at scale {montecarlo_scale}: "
      f"{study.results['replication'].nunique()} replications per world, {len(study.results):,} fits")

# %% [markdown]
# ## Bias, spread against standard errors, coverage, size and power
# Per world × policy × group × estimator (the truth is the planted log odds ratio, 0 where nothing is
# planted). The full table goes to `tables/montecarlo-summary.csv`.

# %%
summarized = summary.summarize(study.results, worlds)
save_table(summarized, output, "montecarlo-summary")
summarized.loc[summarized["world"] == "null", ["policy", "group", "estimator", "n_fits", "bias", "sd_se_ratio",
                                                "coverage", "rejection_rate", "rejection_low", "rejection_high"]].round(3)

# %% [markdown]
# ## Power and the minimum detectable odds ratio, from the null world
# Planting an odds ratio OR moves an unbiased estimate of the log odds ratio by log(OR). Moving each
# null-world estimate by log(OR) and keeping its standard error gives the share of tests that would
# reject: the *shifted* power. It ignores that the between–within logit estimates a population-averaged
# odds ratio a little closer to 1 than the person-specific one planted, and that standard errors change
# with the effect. Beside it the textbook normal approximation with the Monte Carlo SD of the estimates.
# Where an effect is planted, both are set beside the power simulated directly.

# %%
null_results = study.results.loc[study.results["world"] == "null"]
check = summary.shift_check(summarized, null_results)
check.round(3)

# %% [markdown]
# The minimum detectable odds ratio at 80% power per cell, from the shifted null world (and, with grid
# worlds, from their simulated power curve, made monotone and interpolated on the log-OR scale).

# %%
curve = summarized.loc[(summarized["world"] == "null") | summarized["world"].map(report.is_grid)]
mde_grid = summary.minimum_detectable(curve) if curve["world"].map(report.is_grid).any() else None
cells = report.cells(summarized, null_results, mde_grid)
cells_display = report.cells_display(cells, montecarlo_replications, montecarlo_scale)
save_table(cells, output, "what-the-design-can-detect", display=cells_display)
cells_display

# %%
figure = report.power_curves(summarized, null_results, max(montecarlo_or_grid), montecarlo_replications,
                             montecarlo_scale)
save_figure(figure, output, "power-curves")

# %%
montecarlo_variables = report.variables(cells, summarized, montecarlo_replications, montecarlo_scale,
                                        [w.name for w in worlds], montecarlo_engine, stress_calibration,
                                        coding_changes if montecarlo_pinned_spells else None)
save_variables(output, "montecarlo", montecarlo_variables)
print({k: montecarlo_variables[k] for k in ("replications", "scale", "fits", "failed_fits")})

# %% [markdown]
# ## A world where the estimators can fail
# A second study draws its own panels, at `montecarlo_stress_scale` of the paper's sample with
# `montecarlo_stress_replications` per world (a smaller panel has fewer persons per county, not fewer
# counties: every treated county is drawn at every scale), in `montecarlo_stress_worlds`:
#
# * **harder**: the planted odds ratios, with county × year shocks, counties trending before their Secure
#   Communities activation and, when `synthetic_time_in_sample` is not 0, reporting that declines with each
#   interview (off by default: no published size was found);
# * **pretrend**: no effect anywhere, adopters trending before activation;
# * **planted** (and **null**): the plain worlds at the same size, to read the stress worlds against.
#
# Per world and estimator: the rejection rate of the 5% test over the cells where nothing is planted
# (pooled, with its Wilson interval, and the largest cell), over the Secure Communities cells alone (the
# policy the pre-trend acts on), coverage of the 95% interval, and power in the planted cells. The
# canonical study is committed like the first one and read back.

# %%
stress_sizes = {**(pinned_calibration or stress_calibration), "time_in_sample_per_interview": synthetic_time_in_sample}
stress_worlds = replicate.study_worlds(montecarlo_stress_worlds, planted_odds_ratios, montecarlo_or_grid,
                                       montecarlo_stress_scale, exposure_rule=exposure_rule, county_sd=county_sd,
                                       person_sd=person_sd, first_year=first_year, last_year=last_year, cluster=cluster,
                                       stress=stress_sizes)
stress_study = replicate.run_study(counties, study_spells, stress_worlds, montecarlo_stress_replications,
                                   source_dir.data / "montecarlo-replications", engine=montecarlo_engine,
                                   workers=montecarlo_workers, base_seed=seed, log=False,
                                   committed=layout("").data / "montecarlo-replications")
stress_summary = summary.summarize(stress_study.results, stress_worlds)
stress_table = stress_report.table(stress_summary)
save_table(stress_table, output, "montecarlo-stress",
           display=stress_report.display(stress_table, montecarlo_stress_replications, montecarlo_stress_scale))
stress_report.display(stress_table, montecarlo_stress_replications, montecarlo_stress_scale)

# %%
stress_variables = stress_report.variables(stress_table, montecarlo_stress_replications, montecarlo_stress_scale,
                                           [w.name for w in stress_worlds], pinned_calibration or stress_calibration,
                                           synthetic_time_in_sample)
save_variables(output, "stress", stress_variables)
# ## Few treated counties: which test keeps its size
# A policy's within coefficient is identified by the counties where exposure changes, for the 287(g)
# programs a few dozen or fewer. A separate study (its own committed store,
# `montecarlo-few-cluster/<study>/null/replications.parquet`) draws panels of the null world — nothing
# planted — and, per group, tests each policy's within coefficient of the between–within logit twice on the
# same fit: the Wald test with county-clustered standard errors, and the wild cluster score bootstrap of
# notebook 04 with 399 draws (for a 5% test, α(B+1) = 20 is a whole number, so the bootstrap test is exact
# for exchangeable draws, and the draws add a binomial error of about 1.1 points to a p-value near 0.05,
# which shifts a rejection rate by far less than the study's own Monte Carlo error). Its panels are smaller
# than the paper's (`montecarlo_few_cluster_scale`): the treated counties are the same at every scale, the
# persons per county are not: a treated county contributes fewer victimizations, so its score is noisier
# and more skewed, while G* — how unevenly the counties share the variance — hardly moves. Whether the
# clustered test's size depends on the scale is checked against the main study (the same null world at
# `montecarlo_scale`, its clustered between–within test in the last column). The default of `few_cluster_inference` is the method whose size is closer to 5%
# without over-rejecting (no cell whose Wilson interval lies wholly above 5%; then the smaller mean distance
# from 5%).

# %%
few_cluster = replicate.few_cluster_study(counties, study_spells, montecarlo_few_cluster_replications,
                                          source_dir.data / replicate.FEW_CLUSTER_STORE,
                                          scale=montecarlo_few_cluster_scale, base_seed=seed, log=False,
                                          exposure_rule=exposure_rule, county_sd=county_sd, person_sd=person_sd,
                                          first_year=first_year, last_year=last_year, cluster=cluster,
                                          engine=montecarlo_engine, workers=montecarlo_workers,
                                          committed=layout("").data / replicate.FEW_CLUSTER_STORE)
few_cluster_size = summary.few_cluster_size(few_cluster.results)
chosen, choice = summary.choose_inference(few_cluster_size)
size_display = fewcluster.size_display(few_cluster_size, montecarlo_few_cluster_replications,
                                       montecarlo_few_cluster_scale, summarized, montecarlo_scale)
save_table(few_cluster_size, output, "few-cluster-size", display=size_display)
size_display

# %%
default_inference = SCHEMA["few_cluster_inference"].default
print(f"rule chooses: {chosen}; parameter default: {default_inference}")
choice.round(4)

# %%
montecarlo_variables.update(fewcluster.variables(few_cluster_size, choice, chosen, default_inference,
                                                 montecarlo_few_cluster_replications, montecarlo_few_cluster_scale,
                                                 replicate.SIZE_STUDY_DRAWS))
save_variables(output, "montecarlo", montecarlo_variables)
