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
# differences into the policy effect. The between–within model splits each policy indicator into two
# parts: the person's *mean* exposure across their interviews (the between part, which soaks up who
# lives where) and the *deviation* from that mean (the within part: this person, when the policy switched
# on). The within coefficient is the policy effect the paper reports; individual and county controls,
# year effects and region sit alongside. Time-varying individual covariates (age, employment,
# income, homeownership, length of residence) are split the same way.
#
# Standard errors are clustered by county: the policy varies by county, so interviews in one county
# share shocks. Survey weights are optional (parameter `survey_weights`).
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

# %%
import pandas as pd

from fedlocal.models import estimate, figures, fmt, pattern
from fedlocal.models.design import GROUPS, POLICIES, prepare
from fedlocal.models.inputs import read_interviews, read_planted, source_label
from fedlocal.paths import layout
from fedlocal.report import fmt_int, save_figure, save_table, save_variables, setup_matplotlib

setup_matplotlib()
src, out = layout(input_dir), layout(output_dir)

# %% [markdown]
# ## The data
# The person-interview file from stage 03 carries each interview's exposure to the four policies
# (coded by the exposure rule chosen there) and the file's source. Unless someone runs this inside a
# Census research data center with the restricted file, the source is the **synthetic** NCVS: a
# simulated panel on the real counties and policy timeline with effects planted by parameters. Every
# output below says which source it comes from.

# %%
interviews, source = read_interviews(src.data / "ncvs-interviews.parquet")
covariates = pd.read_parquet(src.data / "county-covariates.parquet")
planted_cells = read_planted(src.data / "ncvs-planted.csv", source)
label = source_label(source)
frame = prepare(interviews, covariates)
del interviews
print(f"source: {source}")
print(f"interviews: {len(frame):,}  persons: {frame['person_id'].nunique():,}  counties: {frame['county_fips'].nunique():,}")
print(f"interviews dropped for lack of county covariates: {frame.attrs['dropped']:,}")
print(f"share of interviews with a violent victimization: {frame['violent'].mean():.4f}")

# %% [markdown]
# ## The between–within logit, overall and for Latino, non-Latino Black and non-Latino white residents
# The group models are fitted separately, so every coefficient (controls included) may differ by group;
# notebook 05 tests the group differences formally in one pooled model.

# %%
estimates = estimate.hybrid_estimates(frame, cluster=cluster, survey_weights=survey_weights)
estimates["source"] = source
estimates[["group", "policy", "odds_ratio", "ci_low", "ci_high", "p_value"]].round(3)

# %%
main = estimates.loc[estimates["group"] == "all"].copy()
main_display = pd.DataFrame({
    "Policy": main["policy"].map(pattern.POLICY_LABELS),
    "Odds ratio": main["odds_ratio"].map(fmt.num),
    "95% CI": [fmt.ci(lo, hi) for lo, hi in zip(main["ci_low"], main["ci_high"])],
    "p": main["p_value"].map(fmt.p_value),
    "Persons": main["persons"].map(fmt_int),
    "Interviews": main["interviews"].map(fmt_int),
    "Counties": main["counties"].map(fmt_int),
    "Data": label,
})
save_table(main, out, "main-estimates", display=main_display, align=["l"] + ["r"] * 6 + ["l"])
main_display

# %%
sub = estimates.loc[estimates["group"].isin(GROUPS)].copy()
sub["text"] = [f"{fmt.or_ci(o, lo, hi)}, p = {fmt.p_value(p)}"
               for o, lo, hi, p in zip(sub["odds_ratio"], sub["ci_low"], sub["ci_high"], sub["p_value"])]
wide = sub.pivot(index="policy", columns="group", values="text")
sub_display = pd.DataFrame({"Policy": [pattern.POLICY_LABELS[p] for p in POLICIES]})
for g in GROUPS:
    n = sub.loc[sub["group"] == g].iloc[0]
    sub_display[f"{pattern.GROUP_LABELS[g]} (n = {fmt_int(n['interviews'])})"] = [wide.loc[p, g] for p in POLICIES]
sub_display["Data"] = label
save_table(sub.drop(columns="text"), out, "subgroup-estimates", display=sub_display,
           align=["l"] + ["r"] * len(GROUPS) + ["l"])
sub_display

# %% [markdown]
# ## Planted against estimated (synthetic data only)
# With synthetic data we know the truth: the odds ratios planted per policy and group (cells not
# planted are 1). A working estimator should cover most planted values with its 95% interval. Expect
# the hybrid estimate to sit a little below a planted odds ratio above 1: the planted value is
# person-specific, the hybrid one population-averaged (see above).

# %%
if planted_cells is not None:
    planted = pattern.planted_vs_estimated(estimates, planted_cells)
    planted_display = pd.DataFrame({
        "Policy": planted["policy"].map(pattern.POLICY_LABELS),
        "Group": planted["group"].map(pattern.GROUP_LABELS),
        "Planted OR": planted["planted"].map(fmt.num),
        "Estimated OR (95% CI)": [fmt.or_ci(o, lo, hi) for o, lo, hi in zip(planted["odds_ratio"], planted["ci_low"], planted["ci_high"])],
        "Planted inside CI": planted["covered"].map({True: "yes", False: "no"}),
        "Data": label,
    })
else:
    planted = pd.DataFrame(columns=["policy", "group", "planted", "odds_ratio", "ci_low", "ci_high", "p_value", "covered"])
    planted_display = pd.DataFrame({"Note": ["Restricted NCVS: nothing is planted, so there is nothing to compare."]})
save_table(planted, out, "planted-vs-estimated", display=planted_display,
           align=["l"] * len(planted_display.columns))
planted_display

# %% [markdown]
# ## Set against the published pattern
# The paper's odds ratios are not public; what is known is the direction and significance of each cell
# (Secure Communities: higher risk overall and for Latino residents; 287(g) task force: higher risk for
# Latino residents; everything else not significant). The table puts our direction and significance at
# the 5% level beside it. With synthetic data, agreement shows only that the planted effects are large
# enough to be found at this sample size, not that the paper's findings are reproduced.

# %%
pub = pattern.published_pattern(estimates)
pub_display = pd.DataFrame({
    "Policy": pub["policy"].map(pattern.POLICY_LABELS),
    "Group": pub["group"].map(pattern.GROUP_LABELS),
    "Published": pub["published"] + pub["evidence"].map({"V": "", "S": " (secondary source)"}),
    "Estimated": pub["estimated"],
    "OR (p)": [f"{fmt.num(o)} ({fmt.p_value(p)})" for o, p in zip(pub["odds_ratio"], pub["p_value"])],
    "Agrees": pub["agrees"].map({True: "yes", False: "no"}),
    "Data": label,
})
save_table(pub, out, "published-pattern", display=pub_display, align=["l"] * len(pub_display.columns))
pub_display

# %%
fig = figures.forest(estimates, planted if planted_cells is not None else None,
                     f"Within-person odds ratios by policy and group — {label}")
save_figure(fig, out, "policy-group-forest")

# %% [markdown]
# The full estimates go to `data/model-estimates.csv` so that notebook 05 can set its robustness
# checks beside them without refitting (and without importing anything from this notebook).

# %%
out.data.mkdir(parents=True, exist_ok=True)
estimates.to_csv(out.data / "model-estimates.csv", index=False, float_format="%.10g", lineterminator="\n")

variables = {"source": source, "cluster": cluster, "survey_weights": "yes" if survey_weights else "no",
             "persons": fmt_int(main["persons"].iloc[0]), "interviews": fmt_int(main["interviews"].iloc[0]),
             "counties": fmt_int(main["counties"].iloc[0]),
             "pattern_agree": int(pub["agrees"].sum()), "pattern_cells": int(len(pub))}
for r in estimates.itertuples():
    key = f"{r.policy}_{r.group}"
    variables[f"{key}_or"] = fmt.num(r.odds_ratio)
    variables[f"{key}_ci"] = fmt.ci(r.ci_low, r.ci_high)
    variables[f"{key}_p"] = fmt.p_value(r.p_value)
if planted_cells is not None:
    variables["planted_covered"] = int(planted["covered"].sum())
    variables["planted_cells"] = int(len(planted))
save_variables(out, "models", variables)
print({k: variables[k] for k in ("sc_all_or", "sc_latino_or", "tfm_latino_or", "pattern_agree")})
