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
# * a **grid** of worlds planting one odds ratio in every policy × group cell (`montecarlo_or_grid`):
#   the power curve, and from it the *minimum detectable odds ratio* at 80% power.
#
# Each replication is saved as it finishes under the run's data folder (`montecarlo-replications/`,
# not committed), so an interrupted run resumes, and each has its own seed (from the run's `seed`,
# the world and the replication number), so results do not depend on the order or the number of
# workers. A rate from R replications is uncertain: every rate comes with its Wilson 95% interval.

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
montecarlo_worlds = ["null", "planted", "grid"]
montecarlo_or_grid = [1.5, 2.5, 4.0]
montecarlo_scale = 0.1
montecarlo_engine = "joblib"
montecarlo_workers = 2

# %%
import pandas as pd

from fedlocal.montecarlo import replicate, summary
from fedlocal.paths import layout, output_layout
from fedlocal.report import montecarlo as report
from fedlocal.report import save_figure, save_table, save_variables, setup_matplotlib

setup_matplotlib()
source_dir, output = layout(input_dir), output_layout(output_dir)
counties = pd.read_parquet(source_dir.data / "county-covariates.parquet")
spells = pd.read_csv(source_dir.data / "policy-spells.csv", dtype=str, keep_default_na=False)

# %% [markdown]
# ## The replications
# Each panel is drawn at `montecarlo_scale` of the paper's sample (1.0 is about 354,000 persons and a
# million interviews). The engine records what it ran, on which workers and how long each replication
# took in `run.json` beside the replications (not printed here, so that a rerun writes the same notebook).

# %%
worlds = replicate.study_worlds(montecarlo_worlds, planted_odds_ratios, montecarlo_or_grid, montecarlo_scale,
                                exposure_rule=exposure_rule, county_sd=county_sd, person_sd=person_sd,
                                first_year=first_year, last_year=last_year, cluster=cluster)
study = replicate.run_study(counties, spells, worlds, montecarlo_replications,
                            source_dir.data / "montecarlo-replications", engine=montecarlo_engine,
                            workers=montecarlo_workers, base_seed=seed, log=False)
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
# ## Minimum detectable odds ratio at 80% power
# From the power curve over the null world and the grid (made monotone, interpolated on the log-OR
# scale). Where even the largest odds ratio of the grid is found less than 80% of the time, the table
# says "> largest". Beside it, the analytic value exp((1.96 + 0.84) × SE) with the null world's mean
# standard error, carried to the paper's scale by assuming standard errors shrink with the square root
# of the sample size: an extrapolation, not a replication at that scale.

# %%
curve = summarized.loc[(summarized["world"] == "null") | summarized["world"].map(report.is_grid)]
mde = summary.minimum_detectable(curve) if curve["world"].map(report.is_grid).any() else pd.DataFrame()
cells = report.cells(summarized, mde, montecarlo_scale)
cells_display = report.cells_display(cells, montecarlo_replications, montecarlo_scale)
save_table(cells, output, "what-the-design-can-detect", display=cells_display)
cells_display

# %%
figure = report.power_curves(summarized, montecarlo_replications, montecarlo_scale)
save_figure(figure, output, "power-curves")

# %%
montecarlo_variables = report.variables(cells, summarized, montecarlo_replications, montecarlo_scale,
                                        [w.name for w in worlds], montecarlo_engine)
save_variables(output, "montecarlo", montecarlo_variables)
print({k: montecarlo_variables[k] for k in ("replications", "scale", "fits", "failed_fits")})
