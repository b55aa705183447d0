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
# # Do the main estimates survive other estimators?
#
# Notebook 04 estimated the policy effects with a between–within logit. Each check here changes one
# assumption and asks whether the answer moves:
#
# 1. **Person fixed-effects (conditional) logit.** Instead of splitting exposure into a person mean and
#    a deviation, condition on how many victimizations each person reported. The person's baseline
#    risk drops out of the likelihood entirely, so nothing stable about the person or their county can
#    confound the estimate, and the odds ratio is the person-specific one (the hybrid model only
#    approximates it; Allison 2014). The price: only people whose outcome *and* exposure change across
#    their interviews carry information, which is a small share of the sample.
# 2. **Event time.** Leads and lags of each policy's start in 6-month steps. If victimization was
#    already rising before the start in adopting counties, the leads would show it. Leads near zero are
#    what parallel trends predict, but they cannot prove it: a shock arriving together with the policy,
#    or a trend that bends exactly at the start, leaves the leads untouched.
# 3. **Linear probability model with county and period fixed effects (TWFE)**, the textbook
#    difference-in-differences, for all four policies at once.
# 4. **A heterogeneity-robust estimator for Secure Communities.** SC reached every county by January
#    2013, so late in the window TWFE compares newly treated counties with already-treated ones; if the
#    effect changes with time since adoption, that comparison is biased. Callaway–Sant'Anna compares each
#    adoption cohort only with counties not yet treated, on county × half-year cells. The cell-level
#    TWFE on the same cells is shown next to it, so any gap is due to the estimator, not the data.
# 5. **Group differences tested in one model**: a pooled between–within logit with policy × group terms.
# 6. **A person random intercept.** The between–within logit of notebook 04 is a *pooled* logit: it
#    treats a person's interviews as independent given the regressors and fixes up the standard errors
#    by clustering. The data are multilevel, so the same design is fitted with a random intercept per
#    person by maximum likelihood (adaptive Gauss–Hermite quadrature).

# %% tags=["parameters"]
input_dir = ""
output_dir = ""
cluster = "county"
survey_weights = False
event_window = 6
seed = 20230417
random_intercept_persons = 0  # all persons; or the size of a random sample of persons
random_intercept_nodes = 7  # adaptive quadrature nodes per person; 1 is the Laplace approximation
disclosure = False  # the runner applies the disclosure rules to this stage's outputs when on (or restricted)

# %%
import pandas as pd

from fedlocal.data.ncvs import schema
from fedlocal.models import estimate, eventtime, staggered
from fedlocal.models.design import prepare, release_freed_memory
from fedlocal.paths import layout, output_layout
from fedlocal.report import figures, save_figure, save_table, save_variables, setup_matplotlib, tables, variables
from fedlocal.vocab import GROUPS, NCVS_SOURCE_LABELS

setup_matplotlib()
source_dir, output = layout(input_dir), output_layout(output_dir)

# %%
interviews, source = schema.read(source_dir.data / "ncvs-interviews.parquet")
frame = prepare(interviews, pd.read_parquet(source_dir.data / "county-covariates.parquet"))
del interviews
release_freed_memory()  # the interview file's memory, freed above, back to the system
panel = pd.read_parquet(source_dir.data / "policy-panel.parquet")
hybrid = pd.read_csv(source_dir.data / "model-estimates.csv")
print(f"source: {source}; interviews: {len(frame):,}; persons: {frame['person_id'].nunique():,}")

# %% [markdown]
# ## 1. Conditional logit
# Persons whose outcome never changes (never or always victimized) carry no information and are dropped.
# Everyone else is kept, including persons whose exposure never changes: they identify the year and
# covariate effects that the policy contrasts are net of. The table below sets these estimates beside the
# earlier, narrower sample (only persons whose exposure also changes) to show what the choice does.

# %%
conditional = estimate.conditional_estimates(frame, cluster=cluster)
conditional.drop_duplicates("group")[["group", "persons_total", "persons_outcome_varies", "persons", "interviews"]]

# %%
conditional_narrow = estimate.conditional_estimates(frame, cluster=cluster, sample="exposure_changes")
clogit_samples = estimate.clogit_sample_comparison(conditional, conditional_narrow)
save_table(clogit_samples, output, "clogit-sample-comparison")
clogit_samples.round(3)

# %% [markdown]
# ## 2. Event time
# Steps are 6-month reference periods relative to each county's start month (from the policy panel of
# stage 01); step −1, the last period wholly before the start, is the reference, and the outer steps
# (±`event_window`) collect everything further away. Policies with too few informative persons are
# left out of the figure. Two cautions when reading it: the 287(g) task-force model ended in 2012, so
# its late lags mix "years since start" with "program over"; and SC reached every county by 2013, so
# its leads are identified only from counties that adopted later, not from never-treated ones.

# %%
event_coefficients, event_summary = eventtime.event_time_by_policy(frame, panel, event_window, cluster=cluster)
event_summary[["policy", "persons", "estimated", "lead_chi2", "lead_df", "lead_p"]]

# %%
figure = figures.event_time_figure(event_coefficients,
                                   f"Violent victimization by 6-month step from policy start — {NCVS_SOURCE_LABELS[source]}")
save_figure(figure, output, "sc-event-time")

# %% [markdown]
# ## 3–4. Linear probability models: TWFE, Callaway–Sant'Anna and Sun–Abraham
# Effects here are in percentage points of the probability of a violent victimization in a 6-month
# reference period, not odds ratios: compare signs and significance with the logit results, not sizes.
#
# **What identifies the SC estimates.** Secure Communities reached every county by January 2013: there
# are no never-treated counties. Every SC effect below is identified from differences in *timing*
# alone — counties that adopted earlier against counties that adopted later. Callaway–Sant'Anna compares
# each cohort with counties *not yet treated* in the same half-year, so nothing is left to compare once
# the last cohort adopts: the last cohort gets no effect of its own, and long event times rest on the
# earliest cohorts only. Sun–Abraham (pyfixest's saturated event study) uses the last cohort to adopt as
# its control and drops the half-years from its adoption on. The two differ in their control groups and
# weighting, so they are shown side by side.
#
# **Weights.** Callaway–Sant'Anna weights each county by its *average* interviews per half-year, a number
# that does not change over time; it is also run unweighted. With each half-year's own cell count as
# weight (the earlier version here) the weight of a county changes from period to period, the reference
# packages (`differences`, `csdid`) disagree because each takes a different period's weight as the
# county's, and the sign of the all-persons estimate flipped with that choice. Time-invariant weights
# have one meaning — a county's share of the sample — and the average is used rather than the first
# half-year's count because interviews per county move with the NCVS rotation and sample cuts, not with
# the policies, and one half-year holds few interviews. Sun–Abraham weights counties equally.

# %%
linear_probability = pd.concat([staggered.lpm_twfe(frame, group=group, cluster=cluster, survey_weights=survey_weights)
                                for group in (None,) + GROUPS], ignore_index=True)
staggered_results = [staggered.staggered_comparison(frame, panel, "sc", group=group) for group in (None,) + GROUPS]
staggered_sc = pd.concat([overall for overall, _ in staggered_results], ignore_index=True)
staggered_sc[["group", "model", "estimate", "ci_low", "ci_high", "p_value", "counties"]]

# %% [markdown]
# Event-time estimates for all persons, half-year steps since the first exposed half-year (Callaway–
# Sant'Anna with not-yet-treated controls, weighted and unweighted; Sun–Abraham with the last cohort as
# control, reference step −1).

# %%
staggered_events = staggered_results[0][1].assign(source=source)
save_table(staggered_events, output, "sc-staggered-event-time", display=tables.staggered_event_time(staggered_events, source))
tables.staggered_event_time(staggered_events, source)

# %% [markdown]
# ## The robustness table
# One row per policy and group; the between–within logit from notebook 04 first.

# %%
robustness = tables.robustness(hybrid, conditional, linear_probability, staggered_sc, source)
robustness_display = tables.robustness_display(robustness, source)
save_table(robustness, output, "robustness", display=robustness_display)
robustness_display

# %% [markdown]
# ## 5. Group differences, tested
# A pooled between–within logit lets each policy's within effect differ by group. Each row is the ratio
# of two groups' odds ratios with its Wald test; the last row per policy tests whether Latino, Black and
# white residents share one effect.

# %%
release_freed_memory()  # what the estimators above left in the allocators' free lists, before the largest design
differences = estimate.group_differences(frame, cluster=cluster, survey_weights=survey_weights)
differences["source"] = source
differences_display = tables.group_differences(differences, source)
save_table(differences, output, "group-differences", display=differences_display)
differences_display

# %% [markdown]
# ## 6. A person random intercept
# The model: logit P(victimized in interview t | u_i) = x_it'b + σ·u_i, with u_i standard normal and the
# between–within design of notebook 04 as x. Each person's likelihood is a one-dimensional integral over
# u_i, computed by adaptive Gauss–Hermite quadrature (nodes centred on the person's conditional mode, as
# lme4's `nAGQ`; one node is the Laplace approximation); the tests check the fit against lme4's published
# results. Its within odds ratios are *person-specific* (conditional on u_i) and so a little further from
# 1 than the pooled model's population-averaged ones; σ says how much baseline risk varies between persons
# beyond what the covariates and person means capture. Standard errors are clustered by county.
#
# Why the pooled between–within logit stays the main model: the random-intercept fit needs many
# likelihood evaluations, each a pass over every interview at every node, where the pooled fit needs a
# handful of Newton steps; at the paper's million interviews that is an order of magnitude more time
# (`benchmarks/mixed.py` measures both), too much for the model that every subgroup, variant and Monte
# Carlo replication refits. Here it is fitted once, for all persons, beside the pooled model on the
# same persons (`random_intercept_persons` fits both to a random sample of persons instead). Survey
# weights are not used and there is no county level: see `fedlocal.models.mixed` for why.

# %%
release_freed_memory()
random_intercept = estimate.random_intercept_comparison(frame, random_intercept_persons, random_intercept_nodes, seed,
                                                        cluster=cluster)
random_intercept_display = tables.random_intercept(*random_intercept, source)
save_table(random_intercept[0].assign(source=source), output, "random-intercept", display=random_intercept_display)
print({k: random_intercept[1][k] for k in ("persons", "interviews", "sd", "n_quad", "evaluations", "converged")})
random_intercept_display

# %%
robustness_variables = variables.robustness(conditional, event_summary, staggered_sc, differences, source, event_window,
                                            random_intercept)
save_variables(output, "robustness", robustness_variables)
print({k: robustness_variables[k] for k in ("clogit_persons", "clogit_sc_latino_or", "sc_lead_p", "sc_cs_att", "ri_sd")})
