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
# # Police-recorded violent crime in metro areas, 2000–2017
#
# The NCVS analysis needs restricted county identifiers; this notebook is the part anyone can check
# with public data. It asks the same question of police-recorded crime: did violent crime in US
# metropolitan areas change when Secure Communities (SC), 287(g) agreements or anti-detainer
# policies covered them? Earlier studies with police data (Miles & Cox 2014; Treyger, Chalfin &
# Loeffler 2014; Hines & Peri 2019; Hausman 2020) found no reduction in crime.
#
# **Data.** The FBI's *Crime in the United States* table of offenses by Metropolitan Statistical Area
# (MSA), one spreadsheet per year. Each MSA block gives the FBI's estimated MSA total of violent crime
# (murder, rape, robbery, aggravated assault) and lists the MSA's counties. Real data throughout.

# %% tags=["parameters"]
input_dir = ""
output_dir = ""
msa_match_threshold = 0.9
msa_adoption_share = 0.5

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fedlocal.data import ucr
from fedlocal.models import metro
from fedlocal.paths import layout
from fedlocal.report import fmt_int, fmt_num, fmt_pct, save_figure, save_table, save_variables, setup_matplotlib

src, out = layout(input_dir), layout(output_dir)
setup_matplotlib()

# %% [markdown]
# ## 1. Parse every year's table
#
# The sheets differ by year (12–15 columns, header on row 3 or 4, county lists in parentheses, on the
# header row or on their own row; Metropolitan Divisions from 2003), so the parser finds each column
# from the header text and reads rows by their labels. An MSA's total is the FBI's **Estimated total**
# row, or the **Total area actually reporting** row when every agency reported. County names become
# 2010 FIPS codes through the county frame (MSAs cross state lines; footnote markers and a few
# misspellings in the tables are handled).
#
# **Rape.** Through 2012 the tables count rape under the legacy definition. From 2013 they publish a
# single rape column that adds agencies reporting under the broader revised definition (2017: revised
# only); no legacy-only column exists in these files. Violent crime as published therefore has a
# definition break in 2013, so every model is also run on *violent crime without rape* (murder +
# robbery + aggravated assault), which is defined the same way in every year.

# %%
msa = ucr.read_all_years()
unmatched = sorted({n for names in msa.unmatched for n in names})
print(f"MSA blocks parsed, 2000-2017: {len(msa):,}; county names not matched to a FIPS code: {len(unmatched)}")
la = msa[(msa.year == 2010) & msa.msa_name.str.startswith("Los Angeles-Long Beach-Santa Ana")].iloc[0]
print(f"check: {la.msa_name} 2010 population {la.population:,.0f}, violent crime {la.violent:,.0f}")

# %% [markdown]
# ## 2. One identity per metro area over time
#
# OMB redrew the MSAs in 2003 (first used in the 2003/2004 tables) and in 2013 (used from the 2012
# table on). An MSA's identity is its county list in the tables of the policy window 2005–2014: the
# most frequent list founds an identity, and a list that shares at least `msa_match_threshold` of its
# population (both ways, 2010 census counts) with an existing identity folds into it. Every year's
# MSA then joins the identity it overlaps most, if the overlap reaches the threshold. So a metro area
# redrawn only slightly keeps one series; one redrawn a lot (e.g. Charlotte in 2013) is **split** into
# two identities, each with its own fixed effect; pre-2003 MSAs that differ too much from their
# successors are **dropped** (few pre-2003 MSAs survive: they are pre-period years only).

# %%
linked = ucr.link_msas(msa, threshold=msa_match_threshold)
identities = ucr.anchor_compositions(msa, threshold=msa_match_threshold)
coverage = ucr.coverage_by_year(linked)
save_table(coverage, out, "msa-coverage-by-year", display=coverage.assign(
    pop_share_analysis=[fmt_pct(v) for v in coverage.pop_share_analysis]).rename(columns={
        "year": "Year", "msas_in_table": "MSAs in FBI table", "with_estimated_total": "with violent-crime total",
        "with_counties": "with counties (50 states + DC)", "linked": "linked to an identity",
        "analysis": "in analysis", "pop_share_analysis": "% of US population"}))
print(coverage.to_string(index=False))

# %% [markdown]
# ## 3. Exposure of each metro area to each policy
#
# The policy panel (stage `policies`) says, for every county and month of 2005–2014, whether each
# policy was in force. A county's exposure in a year is the share of its months under the policy; an
# MSA's exposure is the population-weighted mean over its counties (county population by year from
# the covariates when present, else the 2010 census). Outside the policy data:
#
# * **2000–2004:** every policy 0 (SC began in October 2008; county 287(g) agreements and
#   anti-detainer policies came later).
# * **2015–2017:** SC is *missing*: it was suspended in November 2014 and replaced by the Priority
#   Enforcement Program, while fingerprint sharing went on, so neither 0 nor 1 describes it; SC models
#   stop in 2014. 287(g) jail agreements and anti-detainer policies keep their December 2014 status
#   (adoptions after 2014 are not in the data); task-force agreements ended in 2012 and stay 0.
#
# The adoption year of a policy is the first year an MSA's exposure reaches `msa_adoption_share`.

# %%
policy_panel = pd.read_parquet(src.data / "policy-panel.parquet")
covariates_file = src.data / "county-covariates.parquet"
county_pop = pd.read_parquet(covariates_file, columns=["fips", "year", "population"]) if covariates_file.exists() else None
print("county population weights:", "county covariates by year" if county_pop is not None else "2010 census counts")
exposure = ucr.msa_exposure(identities, ucr.county_year_exposure(policy_panel), county_pop)
adoption = pd.concat([ucr.adoption_years(exposure, k, msa_adoption_share) for k in ("sc", "antidetainer")], axis=1)
panel = (ucr.analysis_panel(linked).merge(exposure, on=["msa_id", "year"], how="left")
         .merge(adoption, left_on="msa_id", right_index=True, how="left"))
print(f"analysis panel: {len(panel):,} MSA-years, {panel.msa_id.nunique()} metro areas")
print(panel.groupby("year")[["sc", "jem", "tfm", "antidetainer"]].mean().round(3).T.to_string())

# %%
columns = ["msa_id", "year", "msa_name", "states", "population", "reporting_share", "total_source", "violent", "murder",
           "rape", "robbery", "agg_assault", "violent_legacy_free", "violent_rate", "violent_legacy_free_rate",
           "log_violent_rate", "log_violent_legacy_free_rate", "sc", "jem", "tfm", "antidetainer",
           "sc_adoption_year", "antidetainer_adoption_year", "match_share", "partial_counties"]
msa_crime = panel[columns].assign(counties=[";".join(c) for c in panel.anchor_counties])
out.data.mkdir(parents=True, exist_ok=True)
msa_crime.to_csv(out.data / "msa-crime.csv", index=False, float_format="%.10g", lineterminator="\n")

# %% [markdown]
# ## 4. Two-way fixed effects
#
# Violent crime per 100,000 residents, and its log, on the four exposures with MSA and year fixed
# effects, standard errors clustered by MSA. Window 2003–2014 (the years with SC coded and the
# 2003 delineations). Exposure runs from 0 to 1, so a coefficient is the change from no coverage to
# full coverage for a year; on the log scale, about a proportional change.

# %%
SC_YEARS, AD_YEARS = (2003, 2014), (2003, 2017)
OUTCOMES = {"violent_rate": "violent crime per 100,000", "log_violent_rate": "log violent crime rate",
            "log_violent_legacy_free_rate": "log violent crime rate without rape"}
window = panel[panel.year.between(*SC_YEARS)]
policies = [k for k in ("sc", "jem", "tfm", "antidetainer") if window[k].nunique() > 1]
rows = []
for y, label in OUTCOMES.items():
    est = metro.twfe(window, y, policies)
    rows.append(est.assign(design=f"TWFE, MSA and year FE, {SC_YEARS[0]}-{SC_YEARS[1]}", outcome=label))
ad_window = panel[panel.year.between(*AD_YEARS)]
for y in ("log_violent_rate", "log_violent_legacy_free_rate"):
    est = metro.twfe(ad_window, y, ["antidetainer"])
    rows.append(est.assign(design=f"TWFE, MSA and year FE, {AD_YEARS[0]}-{AD_YEARS[1]}", outcome=OUTCOMES[y]))
twfe = pd.concat(rows, ignore_index=True)
print(twfe[["design", "outcome", "term", "estimate", "ci_low", "ci_high", "n_obs", "n_units"]].to_string(index=False))

# %% [markdown]
# ## 5. Staggered adoption: Callaway–Sant'Anna
#
# SC reached metro areas in waves 2008–2013, and every MSA was covered by 2013. Two-way fixed
# effects then compare late with early adopters, which is biased when effects change with time since
# adoption. The Callaway–Sant'Anna estimator compares each adoption cohort with MSAs *not yet
# treated* in the same year, year by year, and averages these clean comparisons; no comparison is
# left once the last cohort adopts. It needs a balanced panel (MSAs with a total in every year of
# the window) and drops cohorts of fewer than five MSAs. The pre-trend test is the Wald test that
# all pre-adoption group-time effects are zero.
#
# For anti-detainer policies most metro areas never adopted by 2017, so they are the controls
# (never treated). The treated MSAs are few, so the table also gives the minimum detectable effect:
# the smallest true effect a 5% test would find with 80% power, given the standard error.

# %%
SC_CS_YEARS = (2004, 2014)
cs = {}
for policy, years, control in (("sc", SC_CS_YEARS, "not_yet_treated"), ("antidetainer", AD_YEARS, "never_treated")):
    sample = panel[panel.year.between(*years)]
    for y in ("log_violent_rate", "log_violent_legacy_free_rate"):
        cs[policy, y] = metro.callaway_santanna(sample, y, f"{policy}_adoption_year", control_group=control)
    r = cs[policy, "log_violent_rate"]
    print(f"{policy}: cohorts (0 = never) {r['cohorts'].to_dict()}; ATT {r['overall']['estimate']:.4f} "
          f"[{r['overall']['ci_low']:.4f}, {r['overall']['ci_high']:.4f}]; pre-test W={r['pretest']['W']:.1f}, "
          f"df={r['pretest']['df']}, p={r['pretest']['p_value']:.3f}")

# %%
cs_rows = []
for (policy, y), r in cs.items():
    years = r["years"]
    cs_rows.append({
        "design": f"Callaway-Sant'Anna, {'not-yet-treated' if policy == 'sc' else 'never-treated'} controls, {years[0]}-{years[1]}",
        "outcome": OUTCOMES[y], "term": f"{policy} adoption", **r["overall"],
        "p_value": float(2 * (1 - metro.stats.norm.cdf(abs(r["overall"]["estimate"] / r["overall"]["se"])))),
        "n_obs": r["n_units"] * (years[1] - years[0] + 1), "n_units": r["n_units"], "n_treated_units": r["n_treated"],
        "pretest_p": r["pretest"]["p_value"], "mde": metro.minimum_detectable_effect(r["overall"]["se"]),
    })
estimates = pd.concat([twfe, pd.DataFrame(cs_rows)], ignore_index=True)
estimates = estimates[["design", "outcome", "term", "estimate", "se", "ci_low", "ci_high", "p_value", "n_obs", "n_units",
                       "n_treated_units", "pretest_p", "mde"]]
display = estimates.assign(
    estimate=[fmt_num(v, 3) for v in estimates.estimate], ci=[f"[{fmt_num(a, 3)}, {fmt_num(b, 3)}]" for a, b in zip(estimates.ci_low, estimates.ci_high)],
    p_value=[fmt_num(v, 3) for v in estimates.p_value], n_units=[fmt_int(v) for v in estimates.n_units],
    n_treated_units=[fmt_int(v) for v in estimates.n_treated_units],
    pretest_p=["" if pd.isna(v) else fmt_num(v, 3) for v in estimates.pretest_p],
    mde=["" if pd.isna(v) else fmt_num(v, 3) for v in estimates.mde],
)[["design", "outcome", "term", "estimate", "ci", "p_value", "n_units", "n_treated_units", "pretest_p", "mde"]].rename(columns={
    "design": "Design", "outcome": "Outcome", "term": "Policy", "estimate": "Estimate", "ci": "95% CI", "p_value": "p",
    "n_units": "MSAs", "n_treated_units": "treated MSAs", "pretest_p": "pre-trend p", "mde": "MDE (80% power)"})
save_table(estimates, out, "police-crime-estimates", display=display, align=["l", "l", "l"] + ["r"] * 7)
display

# %% [markdown]
# ## 6. Event study
#
# Group-time effects averaged by years since adoption (log violent crime rate), with 95% pointwise
# intervals. Years before adoption (left of the dashed line) show whether adopters were already on a
# different path.

# %%
fig, axes = plt.subplots(1, 2, figsize=(7.5, 3.4), sharey=True)
titles = {"sc": "Secure Communities (not-yet-treated controls)", "antidetainer": "Anti-detainer policy (never-treated controls)"}
for ax, policy in zip(axes, ("sc", "antidetainer")):
    ev = cs[policy, "log_violent_rate"]["event"]
    ax.axhline(0, color="0.3", lw=0.8)
    ax.axvline(-0.5, color="0.5", lw=0.8, ls="--")
    ax.errorbar(ev.event_time, ev.estimate, yerr=[ev.estimate - ev.ci_low, ev.ci_high - ev.estimate], fmt="o", ms=3,
                color="C0", ecolor="C0", elinewidth=1, capsize=2)
    ax.set_title(titles[policy], fontsize=8.5)
    ax.set_xlabel("years since adoption")
axes[0].set_ylabel("effect on log violent crime rate")
fig.suptitle("Police-recorded violent crime around policy adoption, US metro areas (FBI UCR)", fontsize=9)
fig.tight_layout()
save_figure(fig, out, "police-crime-event-study")

# %% [markdown]
# ## 7. Numbers for the manuscript

# %%
def pct(b):
    return fmt_num(metro.percent_change(b), 1)


sc_twfe = twfe[(twfe.term == "sc") & (twfe.outcome == OUTCOMES["log_violent_rate"])].iloc[0]
jem_twfe = twfe[(twfe.term == "jem") & (twfe.outcome == OUTCOMES["log_violent_rate"])].iloc[0]
sc_cs, ad_cs = cs["sc", "log_violent_rate"], cs["antidetainer", "log_violent_rate"]
analysis_counts = coverage[coverage.year.between(2003, 2017)].analysis
variables = {
    "n_msa_years": fmt_int(len(panel)), "n_msas": fmt_int(panel.msa_id.nunique()),
    "msas_per_year_min": fmt_int(analysis_counts.min()), "msas_per_year_max": fmt_int(analysis_counts.max()),
    "pop_share_2010": fmt_pct(coverage.set_index("year").pop_share_analysis[2010]),
    "match_threshold": fmt_num(msa_match_threshold, 2), "adoption_share": fmt_num(msa_adoption_share, 2),
    "sc_twfe_pct": pct(sc_twfe.estimate), "sc_twfe_ci_low_pct": pct(sc_twfe.ci_low), "sc_twfe_ci_high_pct": pct(sc_twfe.ci_high),
    "jem_twfe_pct": pct(jem_twfe.estimate), "jem_twfe_ci_low_pct": pct(jem_twfe.ci_low),
    "jem_twfe_ci_high_pct": pct(jem_twfe.ci_high),
    "sc_cs_pct": pct(sc_cs["overall"]["estimate"]), "sc_cs_ci_low_pct": pct(sc_cs["overall"]["ci_low"]),
    "sc_cs_ci_high_pct": pct(sc_cs["overall"]["ci_high"]), "sc_cs_n_msas": fmt_int(sc_cs["n_units"]),
    "sc_pretest_p": fmt_num(sc_cs["pretest"]["p_value"], 3),
    "ad_cs_pct": pct(ad_cs["overall"]["estimate"]), "ad_cs_ci_low_pct": pct(ad_cs["overall"]["ci_low"]),
    "ad_cs_ci_high_pct": pct(ad_cs["overall"]["ci_high"]), "ad_treated_msas": fmt_int(ad_cs["n_treated"]),
    "ad_pretest_p": fmt_num(ad_cs["pretest"]["p_value"], 3),
    "ad_mde_pct": fmt_num(100 * (np.exp(metro.minimum_detectable_effect(ad_cs["overall"]["se"])) - 1), 1),
}
save_variables(out, "crime", variables)
for k, v in variables.items():
    print(f"{k}: {v}")
