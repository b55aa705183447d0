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
# # Do the main odds ratios hinge on a contested choice?
#
# Notebook 01 shows how much each contested coding choice moves *exposure*. This notebook shows how much it moves
# the *estimates*: the main models' within odds ratios (notebook 04) under each alternative specification, beside
# this run's.
#
# **How.** Each alternative is this run's parameters with one change (the run parameter `specifications`, a list of
# `key=value` texts; by default every defensible alternative of each choice, one at a time: the exposure rule —
# all days, share of days, at interview —, standard errors clustered by person, survey weights, and the contested
# policy codings — Secure Communities ending at its November 2014 suspension, city policies counted for the whole
# county or by population share, year-only anti-detainer dates on 31 December, a month counted when the program was
# in force on any day or only in full months, 287(g) agreements from first operation). Each runs as a variant of
# this run — exactly what `fedlocal run --set key=value` gives a reviewer — up to the models stage, in a folder of
# its own beside this run (`results/runs/specifications/` for the canonical run). The runner copies every stage a
# variant shares with this run and skips a variant whose inputs have not changed since it last ran, so only what a
# change touches is recomputed: a change of clustering or weights reruns only the models, a change of exposure rule
# the NCVS stage and the models, a policy coding all four stages. The ninth choice, the estimator, needs no variant:
# the conditional logit of notebook 05 is this run's within-person estimate of the same odds ratios.
#
# **What it can and cannot show.** With the synthetic NCVS, each variant simulates its outcomes from its own
# coding, with the same seed and planted effects: the table shows how far the estimates move when the coding
# changes which interviews count as exposed and the simulated panel follows, not how the paper's real estimates
# would move. With the restricted file (same outcomes under every coding) the same table is the real sensitivity
# analysis.

# %% tags=["parameters"]
input_dir = ""
output_dir = ""
specifications = ["exposure_rule=all", "exposure_rule=share", "exposure_rule=at_interview", "cluster=person", "survey_weights=true", "sc_end=suspension", "city_policies=county", "city_policies=population_share", "year_only_dates=december_31", "month_coding=any_day", "month_coding=full_month", "agreement_start=operation"]
disclosure = False  # the runner applies the disclosure rules to this stage's outputs when on (or restricted)

# %%
import matplotlib.pyplot as plt

from fedlocal import specifications as specs
from fedlocal.paths import layout, output_layout
from fedlocal.report import figures, save_figure, save_table, save_variables, setup_matplotlib, tables, variables

setup_matplotlib()
this_run, output = layout(input_dir), output_layout(output_dir)

# %% [markdown]
# ## The variant runs
#
# Each line gives the command that reproduces the variant, the runner's report per stage (run, reused from this
# run, or up to date) and the seconds it took.

# %%
chosen = [specs.parse(text) for text in specifications]
runs = specs.run_specifications(chosen, this_run)

# %% [markdown]
# ## Odds ratios under each specification
#
# One row per policy and group (all persons, then the three groups of the subgroup models), one column per
# specification; an asterisk marks a 95% interval that excludes 1. Reading it: a subgroup cell with few exposed
# interviews can have an extreme odds ratio that any coding change moves a lot, so compare the pooled rows first.
# Interview exposure is counted over the days of each six-month reference period, not from the county-month panel,
# so a choice that only changes how a month is counted, or a few days at the end of 2014, can leave every estimate
# as it was.

# %%
odds_ratios = specs.collect(this_run, runs)
display = tables.specification_odds_ratios(odds_ratios)
save_table(odds_ratios, output, "policy-coding-odds-ratios", display=display)
print(display.to_string(index=False))

# %%
figure = figures.specification_odds_ratios(odds_ratios)
save_figure(figure, output, "policy-coding-odds-ratios")
plt.show()

# %% [markdown]
# ## The specification curve
#
# Every specification's within odds ratio for all persons and for Latino respondents (the paper's focus), per
# policy, ordered from the smallest to the largest, with its 95% interval; below each curve, a mark for each choice
# the specification makes (Simonsohn, Simmons and Nelson 2020). This run is red, its column shaded. Clustering by
# person changes the interval, never the point estimate, so that specification sits beside this run at the same
# height; a coding that leaves every interview's exposure as it was does the same.

# %%
curve = specs.curve(odds_ratios, specs.parent_run(this_run)[2], specs.estimator_rows(this_run))
curve_summary = specs.curve_summary(curve)
curve_display = tables.specification_curve(curve_summary)
save_table(curve, output, "specification-curve", display=curve_display)
print(curve_display.to_string(index=False))

# %%
rows = specs.choice_rows(curve)
figure = figures.specification_curve(curve, rows, [specs.choice_label(k, v) for k, v in rows])
save_figure(figure, output, "specification-curve")
plt.show()

# %% [markdown]
# ## Numbers for the manuscript

# %%
summary = specs.summary(odds_ratios)
specification_variables = variables.specifications(summary)
save_variables(output, "specifications", specification_variables)
for key, value in sorted(specification_variables.items()):
    print(f"{key}: {value}")

# %%
curve_variables = variables.specification_curve(curve_summary, specs.same_estimates(curve), rows)
save_variables(output, "speccurve", curve_variables)
for key, value in sorted(curve_variables.items()):
    print(f"{key}: {value}")
