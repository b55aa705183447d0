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
# # Are people more often victims of violence when an enforcement partnership is active in their county?
#
# This notebook estimates the study's main models: for each of four policies (Secure Communities,
# the 287(g) jail and task-force models, anti-detainer policies), the odds that a person reports a
# violent victimization in the six months before an interview when the policy was active in their
# county during those months, compared with the same person's interviews when it was not.
#
# **Why a between–within ("hybrid") logit.** The NCVS interviews the same people up to seven times,
# six months apart. People who live in counties that adopted early differ from those who live where
# policies came late or never (region, urbanity, immigrant population). A plain logit would mix those
# differences into the policy effect. The model is Allison's hybrid model, which is Mundlak's correlated
# random-effects specification written in deviations:
#
# $$\operatorname{logit} P(y_{it}=1) = \alpha + (x_{it}-\bar x_i)'\beta_W + \bar x_i'\beta_B + z_i'\gamma,$$
#
# where $x_{it}$ collects **every** regressor that changes between a person's interviews — the four
# policy indicators, the time-varying individual covariates (age, employment, income, homeownership,
# length of residence), time in sample (the interview number: NCVS reporting falls the longer an address
# is in the sample), the county covariates, and the year indicators — and $z_i$ the ones that cannot
# change (sex, race/ethnicity; region, marital status and education are split too and keep only their
# mean where nobody's value changes). The within coefficients $\beta_W$ on the policies are the effects the
# paper reports: this person, when the policy switched on, compared with the same person's other
# interviews. Splitting every time-varying regressor matters: in the linear analogue the within
# coefficients then equal the person fixed-effects estimates exactly (a test checks this against
# pyfixest to $10^{-8}$); with county covariates or year indicators left whole, between-person variation
# in them leaks into the policy coefficients.
#
# Standard errors are clustered by county: the policy varies by county, so interviews in one county
# share shocks. Survey weights are optional (parameter `survey_weights`).
#
# **Few treated counties.** A within coefficient is identified only by the counties where some person's
# exposure changes: for the 287(g) programs these are a few dozen or fewer, and a handful of them can carry
# most of the clustered variance. Clustered Wald tests then reject true nulls too often. Beside the clustered
# p-value every estimate therefore has the p-value of a wild cluster **score bootstrap** (Kline & Santos
# 2012: the model is refitted with the policy coefficient set to 0, and the counties' score contributions are
# flipped in sign at random, `bootstrap_draws` times; Webb's six-point weights where 12 or fewer counties carry
# the policy's variation), the number of such (treated) counties, and the **effective number of clusters**
# G* (Carter, Schnepel & Steigerwald 2017): how many equally informative counties the estimate is worth. Which
# of the two p-values is the main one (and decides "significant" below) is the run parameter
# `few_cluster_inference`; its default comes from the size study of notebook 07.
#
# One caveat a student should know: a logit coefficient is not collapsible. Because the model has no
# person intercept, the within odds ratio is a population-averaged quantity that is slightly closer to 1
# than the person-specific (conditional) odds ratio when people differ a lot in their baseline risk.
# Notebook 05 therefore also fits the conditional (person fixed-effects) logit, which estimates the
# person-specific odds ratio consistently.

# %% tags=["parameters"]
input_dir = ""
output_dir = ""
cluster = "county"
survey_weights = False
seed = 20230417
few_cluster_inference = "score_bootstrap"
bootstrap_draws = 999
disclosure = False  # the runner applies the disclosure rules to this stage's outputs when on (or restricted)

# %%
import pandas as pd

from fedlocal.data.ncvs import schema
from fedlocal.models import estimate, pattern
from fedlocal.models.design import prepare, release_freed_memory
from fedlocal.paths import layout, output_layout
from fedlocal.report import figures, save_data, save_figure, save_table, save_variables, setup_matplotlib, tables, variables
from fedlocal.synthetic.outcomes import read_planted
from fedlocal.vocab import GROUPS, NCVS_SOURCE_LABELS

setup_matplotlib()
source_dir, output = layout(input_dir), output_layout(output_dir)

# %% [markdown]
# ## The data
# The person-interview file from stage 03 carries each interview's exposure to the four policies
# (coded by the exposure rule chosen there) and the file's source. Unless someone runs this inside a
# Census research data center with the restricted file, the source is the **synthetic** NCVS: a
# simulated panel on the real counties and policy timeline with effects planted by parameters. Every
# output below says which source it comes from.

# %%
interviews, source = schema.read(source_dir.data / "ncvs-interviews.parquet")
covariates = pd.read_parquet(source_dir.data / "county-covariates.parquet")
planted_cells = read_planted(source_dir.data / "ncvs-planted.csv", source)
frame = prepare(interviews, covariates)
del interviews
release_freed_memory()  # the interview file's memory, freed above, back to the system
print(f"source: {source}")
print(f"interviews: {len(frame):,}  persons: {frame['person_id'].nunique():,}  counties: {frame['county_fips'].nunique():,}")
print(f"interviews dropped for lack of county covariates: {frame.attrs['dropped']:,}")
print(f"share of interviews with a violent victimization: {frame['violent'].mean():.4f}")

# %% [markdown]
# ## The between–within logit, overall and for Latino, non-Latino Black and non-Latino white residents
# The group models are fitted separately, so every coefficient (controls included) may differ by group;
# notebook 05 tests the group differences formally in one pooled model. Each estimate has its clustered and
# its score-bootstrap p-value (`p_value` is the one `few_cluster_inference` names), G* and the treated
# counties.

# %%
estimates = estimate.hybrid_estimates(frame, cluster=cluster, survey_weights=survey_weights,
                                      bootstrap_draws=bootstrap_draws, seed=seed, inference=few_cluster_inference)
estimates["source"] = source
estimates.filter(["group", "policy", "odds_ratio", "ci_low", "ci_high", "p_value", "p_cluster", "p_bootstrap",
                  "bootstrap_weights", "effective_clusters", "treated_counties"]).round(3)

# %%
main = estimates.loc[estimates["group"] == "all"]
main_display = tables.main_estimates(main, source)
save_table(main, output, "main-estimates", display=main_display)
main_display

# %%
subgroups = estimates.loc[estimates["group"].isin(GROUPS)]
subgroups_display = tables.subgroup_estimates(subgroups, source)
save_table(subgroups, output, "subgroup-estimates", display=subgroups_display)
subgroups_display

# %% [markdown]
# ## Planted against estimated (synthetic data only)
# With synthetic data we know the truth: the odds ratios planted per policy and group (cells not
# planted are 1). A working estimator should cover most planted values with its 95% interval. Expect
# the hybrid estimate to sit a little below a planted odds ratio above 1: the planted value is
# person-specific, the hybrid one population-averaged (see above).

# %%
planted = pattern.planted_vs_estimated(estimates, planted_cells)
planted_display = tables.planted_vs_estimated(planted, source)
save_table(planted, output, "planted-vs-estimated", display=planted_display)
planted_display

# %% [markdown]
# ## Set against the published pattern
# The paper's odds ratios are not public; what is known is the direction and significance of each cell
# (Secure Communities: higher risk overall and for Latino residents; 287(g) task force: higher risk for
# Latino residents; everything else not significant). The table puts our direction and significance at
# the 5% level beside it. With synthetic data, agreement shows only that the planted effects are large
# enough to be found at this sample size, not that the paper's findings are reproduced.

# %%
published = pattern.published_pattern(estimates)
published_display = tables.published_pattern(published, source)
save_table(published, output, "published-pattern", display=published_display)
published_display

# %%
figure = figures.forest(estimates, planted, f"Within-person odds ratios by policy and group — {NCVS_SOURCE_LABELS[source]}")
save_figure(figure, output, "policy-group-forest")

# %% [markdown]
# The full estimates go to `data/model-estimates.csv` so that notebook 05 can set its robustness
# checks beside them without refitting (and without importing anything from this notebook).

# %%
save_data(estimates, output, "model-estimates")
model_variables = variables.models(estimates, published, planted, source, cluster, survey_weights)
save_variables(output, "models", model_variables)
print({k: model_variables[k] for k in ("sc_all_or", "sc_latino_or", "tfm_latino_or", "pattern_agree")})
