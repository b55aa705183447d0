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
# # Policy timelines: when each county came under each program, 2005–2014
#
# The study compares people's risk of violent victimization before and after four county-level policies
# switched on. This notebook builds, from public sources only, (1) a table of **spells** — one row per
# county, program and period the program was in force, with where the dates come from — and (2) a
# **county × month panel** for January 2005 to December 2014 with one 0/1 column per program.
#
# **The four programs**
#
# - **Secure Communities (SC)**: fingerprints taken at any jail booking were checked against
#   immigration databases, so ICE learned of every arrested non-citizen. ICE switched it on jurisdiction by
#   jurisdiction from October 2008 (Harris County, Texas, first) until every county was covered in
#   January 2013; it was suspended in November 2014.
# - **287(g) jail enforcement model (JEM)**: deputised jail officers screen the immigration status of
#   people booked into a county jail.
# - **287(g) task force model (TFM)**: deputised officers question and arrest people for immigration
#   violations in the field, on patrol. A *hybrid* agreement has both. ICE ended the task-force model in
#   December 2012.
# - **Anti-detainer policies**: a county (or its state) limits holding people in jail on an ICE
#   detainer request alone — e.g. Cook County 2011, the California TRUST Act 2014.
#
# **Where the dates come from**
#
# - SC: the exact activation day per county from ICE's interoperability report as merged by White
#   (2016), and the activation month for every county (through January 2013) from an independent file.
# - 287(g): the 2009–2010 rosters (Congressional Research Service, DHS Inspector General, a FOIA chart of
#   the October 2009 re-signing, Migration Policy Institute) give each agreement's signing date and model;
#   ICE's own rosters 2010–2017 (as reconstructed by the Deportation Data Project) give when each
#   agreement was last listed.
# - Anti-detainer: 200 policy events compiled by this project from public documents (`data/curated/`: there
#   is no upstream dataset), each with one primary source, date precision, confidence and a verification note.

# %% tags=["parameters"]
input_dir = ""
output_dir = ""
sc_end = "window_end"
tfm_end_by = "2012-12-31"
city_policies = "ignore"
antidetainer_bound_date = "in_place_by"
year_only_dates = "july_1"
agreement_start = "signing"
month_coding = "majority"

# %%
import matplotlib.pyplot as plt

from fedlocal.data.policies import crosscheck, sensitivity
from fedlocal.data.policies.antidetainer import anti_detainer_events
from fedlocal.data.policies.g287 import published_count_check
from fedlocal.data.policies.panel import build_panel, build_spells, coverage_by_month, coverage_by_year, spell_counts
from fedlocal.paths import output_layout
from fedlocal.report import figures, save_data, save_figure, save_table, save_variables, setup_matplotlib, tables, variables

output = output_layout(output_dir)
output.data.mkdir(parents=True, exist_ok=True)
setup_matplotlib()

# %% [markdown]
# ## Coding rules
#
# Each rule below is a run parameter (in brackets) or a documented constant of `fedlocal.data.policies`
# (modules `sc`, `g287`, `antidetainer`, `panel`); the spells table records in its `rule` column which rule
# produced each row.
#
# - **SC start**: White's exact day where she has the county; otherwise the month from the monthly
#   file (106 counties of Illinois and Alabama in January 2013 and three others are known only to the
#   month): [`month_coding`] decides that month explicitly (`any_day` and `majority` count it, dating the
#   start on the 1st and the 15th; `full_month` does not); New York City is one row in White's file and is
#   given to all five boroughs; a handful of independent cities and enclaves without their own ICE
#   jurisdiction take their host county's date; two counties in neither file take the date ICE switched
#   on the rest of their state. **SC end** [`sc_end`]: `window_end` keeps SC on through December 2014;
#   `suspension` ends it on 2014-11-20.
# - **287(g) start** [`agreement_start`]: the signing date most sources report (`signing`), or the first day
#   of operation (`operation`) where a source gives it (Frederick MD, Gwinnett and Whitfield GA), else signing
#   plus the median of those documented lags. The model on any day is the model in the latest roster
#   before that day (a hybrid sets both JEM and TFM), except that the 2010-2017 ICE rosters list one
#   model per agency, so they are not taken as evidence that a hybrid's task force ended.
# - **287(g) end**: a documented end wins (Maricopa's jail agreement terminated 2011-12-15, Riverside lapsed
#   2013-07-22, Davidson not renewed 2012-10-08, ...: `g287_documented_dates.csv`, each with its source);
#   an agreement listed in October 2012 runs to 2012-12-31 (ICE extended all agreements to the end of
#   2012); otherwise the last ICE roster listing (a `bound`); agreements still listed after 2014 stay open;
#   2009-10-15 for agencies that withdrew. A renamed agency or an addendum row continues the same
#   agreement. Task-force parts run until ICE ended all task forces on [`tfm_end_by`] (2012-12-31), or the
#   DHS rescission of the Arizona task forces on 2012-06-25, capped at the agreement's end.
# - **City policies** [`city_policies`], both programs: a city police 287(g) agreement or a city's
#   anti-detainer policy does not govern the county jail. `ignore` (default) leaves it out, `county` switches
#   the whole county on, `population_share` weights the county by the city's share of its population (FBI
#   principal-city populations, 2010; cities that are not principal cities get no weight). Cities that run
#   the county jail (New York City) and consolidated city-counties are county-level.
# - **Anti-detainer**: a county is on from its earliest counted policy event; a state law switches on every
#   county of the state on its effective date; a policy the jail is documented not to have applied
#   (Milwaukee 2012) does not count. Dates known only to the year follow [`year_only_dates`] (default
#   `july_1`, the middle of the year, moved into the window the sources allow); dates known only to a month
#   or as "in place by" follow [`antidetainer_bound_date`]: `in_place_by` takes the latest date the source
#   allows, `midpoint` the middle of the plausible window. Events without any date are dropped.
# - **Months** [`month_coding`]: a month with a start or end inside it counts as covered if the program was
#   in force on `any_day` of it, on the `majority` of its days, or on the `full_month`.

# %%
coding = {"sc_end": sc_end, "tfm_end_by": tfm_end_by, "city_policies": city_policies,
          "antidetainer_bound_date": antidetainer_bound_date, "year_only_dates": year_only_dates,
          "agreement_start": agreement_start, "month_coding": month_coding}
spells = build_spells(**coding)
panel = build_panel(spells, month_coding=month_coding)
events = anti_detainer_events(city_policies=city_policies, antidetainer_bound_date=antidetainer_bound_date,
                              year_only_dates=year_only_dates)

save_data(spells, output, "policy-spells")
panel.to_parquet(output.data / "policy-panel.parquet", index=False)
save_data(events, output, "anti-detainer-events")
print(spell_counts(spells).to_string())

# %% [markdown]
# ## Checks against known facts
#
# The tests in `tests/data/policies/` assert these facts; they are printed here for the reader.

# %%
print(crosscheck.known_facts(spells, panel).to_string(index=False))

# %% [markdown]
# **Agreements in force against the published counts** (agencies, statewide ones included). The test suite
# requires every count within 3 of the published one. The 2012 figure (64) was not found in a source the project
# could read (the nearest: ICE notified "all 62" participating agencies in October 2012), and the 2014 figure is
# ICE's fact sheet (35 agencies) as summarised secondhand, so both are checks, not confirmations.

# %%
print(published_count_check().to_string(index=False))

# %% [markdown]
# ## How much each coding choice matters
#
# The contested choices above, one at a time against this run's coding: counties ever exposed and
# person-months per program, 2005-2014. Person-months are county population (2010 census) × months in force:
# the NCVS interviews enter only at stage 03, so this measures the population exposed, not the sample.

# %%
coding_sensitivity = sensitivity.coding_sensitivity(coding)
save_table(coding_sensitivity, output, "policy-coding-sensitivity", display=tables.coding_sensitivity(coding_sensitivity))
print(tables.coding_sensitivity(coding_sensitivity).to_string(index=False))

# %%
figure = figures.coding_sensitivity(coding_sensitivity)
save_figure(figure, output, "policy-coding-sensitivity")
plt.show()

# %% [markdown]
# ## Coverage over time
#
# The share of the US population (2010 census) living in a county where each program was in force.

# %%
figure = figures.policy_coverage(coverage_by_month(panel))
save_figure(figure, output, "policy-coverage-by-month")
plt.show()

# %%
coverage = coverage_by_year(panel)
coverage_display = tables.policy_coverage(coverage)
save_table(coverage, output, "policy-coverage-by-year", display=coverage_display)
print(coverage_display.to_string(index=False))

# %% [markdown]
# ## Agreement with East et al.'s 287(g) county spells
#
# East et al. (2023) coded 287(g) by county and month for 51 counties. Their file gives one spell per
# county with a model label, so a "Hybrid / …" label is read as both JEM and TFM for the whole spell (this
# overstates their task-force months after a hybrid became jail-only, which is a main source of TFM
# disagreement). Agreement is reported over all county-months and over the county-months that either
# source codes as covered (most counties never had 287(g), so the first share is close to 1 by
# construction). East's file has no SC; for SC the two SC sources are compared instead: the month of
# White's exact day against the monthly file.

# %%
east = crosscheck.east_panel()
agreement = crosscheck.agreement(panel, east)
sc_files = crosscheck.sc_source_agreement()
agreement_table = crosscheck.agreement_table(agreement, sc_files)
save_table(agreement_table, output, "east-agreement", display=tables.east_agreement(agreement_table))
print(agreement_table.to_string(index=False))

# %%
disagreements = crosscheck.named_disagreements(panel, east)
print(crosscheck.disagreement_kinds(disagreements).to_string())
print(disagreements.head(20).to_string(index=False))

# %% [markdown]
# **Reading the disagreements.** Most are one month at the start: East et al. switch a county on in the
# month *after* the agreement was signed, this build from the signing day (with the month counted when most of it
# is covered). The large ones follow from the coding rules above:
#
# 1. *Ends of agreements.* This build ends an agreement on its documented end (the Maricopa sheriff's jail
#    agreement 2011-12-15, Davidson TN 2012-10-08, Rockingham VA 2012-10-17, Riverside CA 2013-07-22, San Bernardino
#    CA 2014-05-15), on 2012-12-31 when ICE's rosters still list it in October 2012, and otherwise at its last
#    roster listing (Pima AZ's jail agreement, 2011). East et al. keep several of these on to late 2014.
# 2. *Task forces.* Every task force ends with ICE's end of the model on 2012-12-31, or with the DHS rescission of
#    the Arizona task forces on 2012-06-25; East's hybrid labels keep the task-force part on to the end of their
#    spell (2014 for Frederick MD, Tulsa OK, Butler OH, Collier FL and the Arizona counties), and they keep the
#    Maricopa sheriff's task force on to 2012, where the rosters remove it in October 2009.
# 3. *City agreements* (`city_policies`): by default a city police department's agreement does not switch its county
#    on, so the counties East code from city agreements (Carrollton's city jail in Dallas, Collin and Denton TX;
#    Farmers Branch TX, Herndon VA, Hudson NH, Durham NC, Danbury CT) are theirs only.
# 4. *Agreements East do not code*: agencies that withdrew in 2009 (Barnstable MA among them), the Prince William
#    County police task force, and the independent cities of Manassas and Manassas Park (coded here as their own
#    county-equivalents, covered by the regional jail).
# 5. *Lexington County SC*: signed in 2010 (Kostandini et al.); East's file starts it only in 2013, a gap the
#    upstream audit also flags.

# %% [markdown]
# ## Anti-detainer events against declined detainers
#
# A jail that refuses detainers should show declined detainers in ICE's records. NPR's FOIA extract counts detainers
# "declined by the law-enforcement agency" by facility and year (calendar or fiscal year: NPR does not say), here
# matched to counties (a New York borough, a county named in the facility, else the county of the facility's city in
# Kaplan's agency crosswalk; "OTHER-OTHER FACILITY", about 2,200 declines with no place, stays unmatched). First the
# timing of a few large jails: a policy dated well before the first year of bulk declines points to a policy adopted
# on paper but applied later.

# %%
print(crosscheck.npr_timing(spells).to_string(index=False))

# %% [markdown]
# Then the systematic screen of the coding: every county coded anti-detainer in 2005-2014 whose facilities declined
# no detainer in 2011-2015, and every county not coded with at least 10 declined detainers in one year 2011-2014
# (`crosscheck.MANY_DECLINES`: 87% of facility-years with any decline have fewer than 10, so ten in a year is a
# practice rather than a one-off, and the rule still catches small jails). The `note` column says what the public
# record showed for each county not coded (the policies found are now curated rows: `data/curated/CHANGELOG.md`,
# C07). Zero declines are weak evidence against a policy: ICE recorded most refusals as declined only from 2014,
# most of the listed counties were coded only from mid-2014 or by a statewide law, and small jails receive few
# detainers; a large county coded before 2014 with none (Milwaukee, now not coded) is the informative case.

# %%
npr_listing = crosscheck.npr_listing(spells, panel)
print(npr_listing["listing"].value_counts().to_string())
print(npr_listing.drop(columns=["pop2010"]).to_string(index=False))

# %% [markdown]
# ## Numbers for the manuscript

# %%
policy_variables = variables.policies(spells, panel, events, agreement, sc_files, coding_sensitivity)
save_variables(output, "policies", policy_variables)
for key, value in sorted(policy_variables.items()):
    print(f"{key}: {value}")
