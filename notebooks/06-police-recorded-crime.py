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
msa_twfe_first_year = 2003
msa_twfe_last_year = 2014
msa_sc_staggered_first_year = 2004
msa_sc_staggered_last_year = 2014
msa_antidetainer_first_year = 2003
msa_antidetainer_last_year = 2014
msa_partly_treated = "treated"

# %%
import pandas as pd

from fedlocal.data.ucr import identity
from fedlocal.data.ucr.panel import analysis_panel
from fedlocal.data.ucr.tables import read_all_years
from fedlocal.exposure import metro as metro_exposure
from fedlocal.models import metro
from fedlocal.paths import layout, output_layout
from fedlocal.report import figures, save_data, save_figure, save_table, save_variables, setup_matplotlib, tables, variables
from fedlocal.vocab import POLICIES

src, out = layout(input_dir), output_layout(output_dir)
setup_matplotlib()
twfe_years = (msa_twfe_first_year, msa_twfe_last_year)
sc_staggered_years = (msa_sc_staggered_first_year, msa_sc_staggered_last_year)
antidetainer_years = (msa_antidetainer_first_year, msa_antidetainer_last_year)

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
msa = read_all_years()
unmatched = sorted({name for names in msa.unmatched for name in names})
print(f"MSA blocks parsed, 2000-2017: {len(msa):,}; county names not matched to a FIPS code: {len(unmatched)}")
los_angeles = msa[(msa.year == 2010) & msa.msa_name.str.startswith("Los Angeles-Long Beach-Santa Ana")].iloc[0]
print(f"check: {los_angeles.msa_name} 2010 population {los_angeles.population:,.0f}, violent crime {los_angeles.violent:,.0f}")

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
linked = identity.link_msas(msa, threshold=msa_match_threshold)
identities = identity.anchor_compositions(msa, threshold=msa_match_threshold)
coverage = identity.coverage_by_year(linked)
save_table(coverage, out, "msa-coverage-by-year", display=tables.msa_coverage(coverage))
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
#   stop in 2014. Anti-detainer policies are missing too: the policy data end in December 2014, and
#   carrying that month's status forward (as an earlier version did) made every later adopter a
#   never-treated control and made the MSAs whose counties adopted late in 2014 "adopt" in 2015 by
#   construction. So the anti-detainer analysis ends in 2014, where the policy data end. 287(g) jail
#   agreements keep their December 2014 status (no model uses them after 2014); task-force agreements
#   ended in 2012 and stay 0.
#
# The adoption year of a policy is the first year an MSA's exposure reaches `msa_adoption_share`.
# The year before it — the base year of every comparison — can then already be partly covered (up to
# just under that share), which pulls estimates towards zero; section 5 handles such years by
# `msa_partly_treated`.

# %%
policy_panel = pd.read_parquet(src.data / "policy-panel.parquet")
covariates_file = src.data / "county-covariates.parquet"
county_pop = pd.read_parquet(covariates_file, columns=["fips", "year", "population"]) if covariates_file.exists() else None
print("county population weights:", "county covariates by year" if county_pop is not None else "2010 census counts")
exposure = metro_exposure.msa_exposure(identities, metro_exposure.county_year_exposure(policy_panel), county_pop)
panel = metro_exposure.link_exposure(analysis_panel(linked), exposure, msa_adoption_share)
print(f"analysis panel: {len(panel):,} MSA-years, {panel.msa_id.nunique()} metro areas")
print(panel.groupby("year")[list(POLICIES)].mean().round(3).T.to_string())
print("anti-detainer coded through", metro_exposure.policy_data_last_year(exposure, "antidetainer"), "; adoption years:",
      panel.drop_duplicates("msa_id").antidetainer_adoption_year.value_counts().sort_index().to_dict())

# %%
columns = ["msa_id", "year", "msa_name", "states", "population", "reporting_share", "total_source", "violent", "murder",
           "rape", "robbery", "agg_assault", "violent_legacy_free", "violent_rate", "violent_legacy_free_rate",
           "log_violent_rate", "log_violent_legacy_free_rate", "sc", "jem", "tfm", "antidetainer",
           "sc_adoption_year", "antidetainer_adoption_year", "sc_first_exposure_year", "antidetainer_first_exposure_year",
           "match_share", "partial_counties"]
save_data(panel[columns].assign(counties=[";".join(counties) for counties in panel.anchor_counties]), out, "msa-crime")

# %% [markdown]
# ## 4. Two-way fixed effects
#
# Violent crime per 100,000 residents, and its log, on the four exposures with MSA and year fixed
# effects, standard errors clustered by MSA. Window `msa_twfe_first_year`–`msa_twfe_last_year`
# (2003–2014 by default: the years with SC coded and the 2003 delineations); anti-detainer policies
# alone also over `msa_antidetainer_first_year`–`msa_antidetainer_last_year` (2003–2014). Exposure
# runs from 0 to 1, so a coefficient is the change from no coverage to full coverage for a year; on
# the log scale, about a proportional change.

# %%
OUTCOMES = {"violent_rate": "violent crime per 100,000", "log_violent_rate": "log violent crime rate",
            "log_violent_legacy_free_rate": "log violent crime rate without rape"}
twfe_window = panel[panel.year.between(*twfe_years)]
policies = [policy for policy in POLICIES if twfe_window[policy].nunique() > 1]
twfe_by_outcome = {outcome: metro.twfe(twfe_window, outcome, policies) for outcome in OUTCOMES}
rows = [estimates.assign(design=f"TWFE, MSA and year FE, {twfe_years[0]}-{twfe_years[1]}", outcome=OUTCOMES[outcome])
        for outcome, estimates in twfe_by_outcome.items()]
antidetainer_window = panel[panel.year.between(*antidetainer_years)]
for outcome in ("log_violent_rate", "log_violent_legacy_free_rate"):
    estimates = metro.twfe(antidetainer_window, outcome, ["antidetainer"])
    rows.append(estimates.assign(design=f"TWFE, MSA and year FE, {antidetainer_years[0]}-{antidetainer_years[1]}",
                                 outcome=OUTCOMES[outcome]))
twfe = pd.concat(rows, ignore_index=True)
print(twfe[["design", "outcome", "term", "estimate", "ci_low", "ci_high", "n_obs", "n_units"]].to_string(index=False))

# %% [markdown]
# ## 4b. Few treated MSAs: wild cluster bootstrap and randomization inference
#
# The 287(g) jail-model coefficient rests on few treated MSAs, and a clustered t-test can over-reject
# when few clusters carry the treatment. Two checks that do not lean on it: a wild cluster bootstrap
# (WCR, Rademacher weights, null imposed; pyfixest with the `wildboottest` package), and randomization
# inference that gives every MSA another MSA's whole 287(g) exposure path (adoption timing permuted
# across MSAs, the other exposures kept) and compares clustered t-statistics. Same regressions as above.

# %%
few_cluster = pd.concat([metro.few_cluster_inference(twfe_window, outcome, policies, ["jem"], exposure)
                         .assign(outcome=OUTCOMES[outcome]) for outcome in ("log_violent_rate", "log_violent_legacy_free_rate")],
                        ignore_index=True)
few_cluster_display = tables.police_crime_few_cluster(few_cluster)
save_table(few_cluster, out, "police-crime-few-cluster-inference", display=few_cluster_display)
few_cluster_display

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
# **Partly covered years.** An MSA adopts when `msa_adoption_share` of its population is covered, so
# many adopters are partly covered in the year before (the base year of every comparison). With
# `msa_partly_treated = "treated"` such years count as treated: the MSA's cohort becomes its first year
# of any coverage, and its base year is uncovered. With `"drop"` they leave every comparison (the panel
# is then unbalanced; each comparison uses the MSAs observed in both of its years). Section 5b shows both.
#
# For anti-detainer policies most metro areas never adopted by 2014, so they are the controls
# (never treated). The treated MSAs are few, so the table also gives the minimum detectable effect:
# the smallest true effect a 5% test would find with 80% power, given the standard error. Windows:
# `msa_sc_staggered_first_year`–`msa_sc_staggered_last_year` for SC (2004–2014 by default), the
# anti-detainer window above for anti-detainer policies.

# %%
callaway_santanna_results = {}
for policy, years, control in (("sc", sc_staggered_years, "not_yet_treated"),
                               ("antidetainer", antidetainer_years, "never_treated")):
    sample = panel[panel.year.between(*years)]
    for outcome in ("log_violent_rate", "log_violent_legacy_free_rate"):
        callaway_santanna_results[policy, outcome] = metro.callaway_santanna(
            sample, outcome, f"{policy}_adoption_year", control_group=control, exposure=policy,
            partly_treated=msa_partly_treated)
    result = callaway_santanna_results[policy, "log_violent_rate"]
    print(f"{policy}: cohorts (0 = never) {result['cohorts'].to_dict()}; ATT {result['overall']['estimate']:.4f} "
          f"[{result['overall']['ci_low']:.4f}, {result['overall']['ci_high']:.4f}]; pre-test W={result['pretest']['W']:.1f}, "
          f"df={result['pretest']['df']}, p={result['pretest']['p_value']:.3f}")

# %%
staggered_rows = []
for (policy, outcome), result in callaway_santanna_results.items():
    controls = "not-yet-treated" if policy == "sc" else "never-treated"
    staggered_rows.append({
        "design": (f"Callaway-Sant'Anna, {controls} controls, {result['years'][0]}-{result['years'][1]}, partly covered "
                   f"years {tables.PARTLY_TREATED_LABELS[msa_partly_treated]}"),
        "outcome": OUTCOMES[outcome], "term": f"{policy} adoption", **metro.callaway_santanna_row(result),
    })
estimates = pd.concat([twfe, pd.DataFrame(staggered_rows)], ignore_index=True)
estimates = estimates[["design", "outcome", "term", "estimate", "se", "ci_low", "ci_high", "p_value", "n_obs", "n_units",
                       "n_treated_units", "pretest_p", "mde"]]
display = tables.police_crime_estimates(estimates)
save_table(estimates, out, "police-crime-estimates", display=display)
display

# %% [markdown]
# ## 5b. The same sample, weights and partly covered years side by side
#
# The two-way fixed effects above use every MSA (411) and continuous exposure; Callaway–Sant'Anna uses
# the balanced panel (171 MSAs for SC) and the adoption year. To separate the estimator from the sample,
# each Callaway–Sant'Anna estimate is set beside a two-way fixed effects regression on exactly its
# MSA-years and its adoption indicator; each is shown unweighted and weighted by the MSA's population
# (its mean over the window: a weight that does not change over time), and under both treatments of
# partly covered years. Log violent crime rate.

# %%
design_choices = pd.concat([metro.design_choices(panel[panel.year.between(*years)], policy, "log_violent_rate", control)
                            for policy, years, control in (("sc", sc_staggered_years, "not_yet_treated"),
                                                           ("antidetainer", antidetainer_years, "never_treated"))],
                           ignore_index=True)
design_choices_display = tables.police_crime_design_choices(design_choices)
save_table(design_choices, out, "police-crime-design-choices", display=design_choices_display)
design_choices_display

# %% [markdown]
# ## 6. Event study
#
# Group-time effects averaged by years since adoption (log violent crime rate), with 95% pointwise
# intervals. Years before adoption (left of the dashed line) show whether adopters were already on a
# different path.

# %%
fig = figures.police_crime_event_study({policy: callaway_santanna_results[policy, "log_violent_rate"]["event"]
                                       for policy in ("sc", "antidetainer")})
save_figure(fig, out, "police-crime-event-study")

# %% [markdown]
# ## 6b. How large a violation of parallel trends would overturn the conclusions?
#
# The pre-trend tests above have little power (and rejected for both policies when the partly covered
# year before adoption counted as untreated), so parallel trends cannot be taken as given.
# Following Rambachan and Roth (2023), *relative magnitudes*: after adoption, the difference in trends
# may change from one year to the next by up to M̄ times the largest such change before adoption. For
# each M̄ the table gives the set of average post-adoption effects consistent with the estimates (the
# identified set) and its robust 95% interval, and the breakdown value: the smallest M̄ at which the
# interval includes zero. The event study behind it compares every year with the year before adoption
# (universal base period); the sensitivity computation is the `diff-diff` package's HonestDiD.

# %%
honest_rows = []
for policy, years, control in (("sc", sc_staggered_years, "not_yet_treated"),
                               ("antidetainer", antidetainer_years, "never_treated")):
    universal = metro.callaway_santanna(panel[panel.year.between(*years)], "log_violent_rate", f"{policy}_adoption_year",
                                        control_group=control, exposure=policy, partly_treated=msa_partly_treated,
                                        base_period="universal")
    honest_rows.append(metro.honest_sensitivity(universal).assign(
        policy=policy, pretest_p=callaway_santanna_results[policy, "log_violent_rate"]["pretest"]["p_value"]))
honest = pd.concat(honest_rows, ignore_index=True)
honest_display = tables.police_crime_honest(honest)
save_table(honest, out, "police-crime-honest-did", display=honest_display)
honest_display

# %% [markdown]
# ## 7. Numbers for the manuscript

# %%
quoted = variables.crime(
    panel, coverage, twfe_by_outcome["log_violent_rate"], callaway_santanna_results["sc", "log_violent_rate"],
    callaway_santanna_results["antidetainer", "log_violent_rate"], [twfe_years, sc_staggered_years, antidetainer_years],
    msa_match_threshold, msa_adoption_share, few_cluster=few_cluster, honest=honest)
save_variables(out, "crime", quoted)
for key, value in quoted.items():
    print(f"{key}: {value}")
