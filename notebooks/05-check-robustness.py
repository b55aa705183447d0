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

# %% tags=["parameters"]
input_dir = ""
output_dir = ""
cluster = "county"
survey_weights = False
event_window = 6

# %%
import pandas as pd

from fedlocal.models import estimate, eventtime, figures, fmt, staggered
from fedlocal.models.design import GROUPS, POLICIES, prepare
from fedlocal.models.inputs import read_interviews, source_label
from fedlocal.models.pattern import GROUP_LABELS, POLICY_LABELS
from fedlocal.paths import layout
from fedlocal.report import fmt_int, save_figure, save_table, save_variables, setup_matplotlib

setup_matplotlib()
src, out = layout(input_dir), layout(output_dir)

# %%
interviews, source = read_interviews(src.data / "ncvs-interviews.parquet")
frame = prepare(interviews, pd.read_parquet(src.data / "county-covariates.parquet"))
del interviews
panel = pd.read_parquet(src.data / "policy-panel.parquet")
hybrid = pd.read_csv(src.data / "model-estimates.csv")
label = source_label(source)
print(f"source: {source}; interviews: {len(frame):,}; persons: {frame['person_id'].nunique():,}")

# %% [markdown]
# ## 1. Conditional logit
# Persons are dropped when their outcome never changes (never or always victimized) or when none of
# the four exposures changes across their interviews: neither kind can contribute to a within-person
# comparison.

# %%
clogit = estimate.conditional_estimates(frame, cluster=cluster)
kept = clogit.drop_duplicates("group")[["group", "persons_total", "persons_outcome_varies", "persons", "interviews"]]
kept

# %% [markdown]
# ## 2. Event time
# Steps are 6-month reference periods relative to each county's start month (from the policy panel of
# stage 01); step −1, the last period wholly before the start, is the reference, and the outer steps
# (±`event_window`) collect everything further away. Policies with too few informative persons are
# left out of the figure. Two cautions when reading it: the 287(g) task-force model ended in 2012, so
# its late lags mix "years since start" with "program over"; and SC reached every county by 2013, so
# its leads are identified only from counties that adopted later, not from never-treated ones.

# %%
event_rows, event_summaries = [], []
for p in POLICIES:
    coefs, summary = eventtime.event_time(frame, panel, p, event_window, cluster=cluster)
    event_summaries.append(summary)
    if len(coefs):
        event_rows.append(coefs)
event_coefs = pd.concat(event_rows, ignore_index=True) if event_rows else pd.DataFrame()
event_summary = pd.DataFrame(event_summaries)
event_summary[["policy", "persons", "estimated", "lead_chi2", "lead_df", "lead_p"]]

# %%
fig = figures.event_time_figure(event_coefs, f"Violent victimization by 6-month step from policy start — {label}")
save_figure(fig, out, "sc-event-time")

# %% [markdown]
# ## 3–4. Linear probability models: TWFE and Callaway–Sant'Anna
# Effects here are in percentage points of the probability of a violent victimization in a 6-month
# reference period, not odds ratios: compare signs and significance with the logit results, not sizes.

# %%
lpm = pd.concat([staggered.lpm_twfe(frame, group=g, cluster=cluster, survey_weights=survey_weights)
                 for g in (None,) + GROUPS], ignore_index=True)
stag_rows, cs_event = [], []
for g in (None,) + GROUPS:
    overall, ev = staggered.staggered_comparison(frame, panel, "sc", group=g)
    stag_rows.append(overall)
    cs_event.append(ev)
stag = pd.concat(stag_rows, ignore_index=True)
stag[["group", "model", "estimate", "ci_low", "ci_high", "p_value", "counties"]]

# %% [markdown]
# ## The robustness table
# One row per policy and group; the between–within logit from notebook 04 first.

# %%
logit_cols = ["model", "group", "policy", "estimate", "odds_ratio", "ci_low", "ci_high", "p_value", "persons", "interviews"]
long = pd.concat([
    hybrid[logit_cols].assign(scale="odds ratio"),
    clogit[logit_cols].assign(scale="odds ratio"),
    lpm.assign(odds_ratio=float("nan")),
    stag.assign(odds_ratio=float("nan")),
], ignore_index=True)[logit_cols + ["scale", "counties"]]
long["source"] = source
model_labels = {"hybrid_logit": "Between–within logit (OR)", "conditional_logit": "Conditional logit (OR)",
                "lpm_twfe": "LPM, county + period FE (pp)", "cells_twfe": "TWFE on county cells (pp)",
                "callaway_santanna": "Callaway–Sant'Anna (pp)"}

long["text"] = [fmt.or_ci(o, lo, hi) if scale == "odds ratio" else fmt.pp_ci(e, lo, hi)
                for scale, o, e, lo, hi in zip(long["scale"], long["odds_ratio"], long["estimate"], long["ci_low"], long["ci_high"])]
display = long.pivot(index=["policy", "group"], columns="model", values="text")
order = [(p, g) for p in POLICIES for g in ("all",) + GROUPS]
display = display.reindex(order)[[m for m in model_labels if m in display.columns]].fillna("")
display = display.rename(columns=model_labels).reset_index()
display.insert(0, "Policy", display.pop("policy").map(POLICY_LABELS))
display.insert(1, "Group", display.pop("group").map(GROUP_LABELS))
display["Data"] = label
save_table(long.drop(columns="text"), out, "robustness", display=display,
           align=["l", "l"] + ["r"] * (len(display.columns) - 3) + ["l"])
display

# %% [markdown]
# ## 5. Group differences, tested
# A pooled between–within logit lets each policy's within effect differ by group. Each row is the ratio
# of two groups' odds ratios with its Wald test; the last row per policy tests whether Latino, Black and
# white residents share one effect.

# %%
diffs = estimate.group_differences(frame, cluster=cluster, survey_weights=survey_weights)
diffs["source"] = source
diff_display = pd.DataFrame({
    "Policy": diffs["policy"].map(POLICY_LABELS),
    "Comparison": diffs["comparison"],
    "Ratio of odds ratios (95% CI)": ["" if c == "latino = black = white" else fmt.or_ci(o, lo, hi)
                                      for c, o, lo, hi in zip(diffs["comparison"], diffs["or_ratio"], diffs["ci_low"], diffs["ci_high"])],
    "p": diffs["p_value"].map(fmt.p_value),
    "Data": label,
})
save_table(diffs, out, "group-differences", display=diff_display, align=["l", "l", "r", "r", "l"])
diff_display

# %%
sc_event = event_summary.set_index("policy").loc["sc"]
ck = clogit.set_index(["policy", "group"])
st = stag.set_index(["model", "group"])
variables = {
    "source": source, "event_window": event_window,
    "clogit_persons": int(ck.loc[("sc", "all"), "persons"]),
    "clogit_persons_total": int(ck.loc[("sc", "all"), "persons_total"]),
    "clogit_persons_outcome_varies": int(ck.loc[("sc", "all"), "persons_outcome_varies"]),
    "sc_lead_p": fmt.p_value(sc_event["lead_p"]) if sc_event["estimated"] else "not estimated",
    "sc_cs_att": fmt.num(st.loc[("callaway_santanna", "all"), "estimate"], 3),
    "sc_cs_ci": fmt.ci(st.loc[("callaway_santanna", "all"), "ci_low"], st.loc[("callaway_santanna", "all"), "ci_high"], 3),
    "sc_cells_twfe": fmt.num(st.loc[("cells_twfe", "all"), "estimate"], 3),
    "sc_cs_counties": fmt_int(st.loc[("callaway_santanna", "all"), "counties"]),
}
for (p, g), r in ck.iterrows():
    variables[f"clogit_{p}_{g}_or"] = fmt.num(r["odds_ratio"])
    variables[f"clogit_{p}_{g}_ci"] = fmt.ci(r["ci_low"], r["ci_high"])
for r in diffs.loc[diffs["comparison"] == "latino = black = white"].itertuples():
    variables[f"{r.policy}_groups_equal_p"] = fmt.p_value(r.p_value)
save_variables(out, "robustness", variables)
print({k: variables[k] for k in ("clogit_persons", "clogit_sc_latino_or", "sc_lead_p", "sc_cs_att")})
