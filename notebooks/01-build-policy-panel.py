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
# - Anti-detainer: 191 policy events compiled for this project from public documents (there is no
#   upstream dataset), each with its sources, date precision and a confidence level.

# %% tags=["parameters"]
input_dir = ""
output_dir = ""
sc_end = "window_end"
tfm_end_by = "2012-12-31"
antidetainer_city_policies = False
antidetainer_bound_date = "in_place_by"
month_coding = "majority"

# %%
import matplotlib.pyplot as plt
import pandas as pd

from fedlocal.data import policies
from fedlocal.data.counties import county_frame
from fedlocal.paths import layout
from fedlocal.report import fmt_int, fmt_pct, save_figure, save_table, save_variables, setup_matplotlib

src, out = layout(input_dir), layout(output_dir)
out.data.mkdir(parents=True, exist_ok=True)
setup_matplotlib()
counties = county_frame()

# %% [markdown]
# ## Coding rules
#
# Each rule below is a run parameter (in brackets) or a documented constant of
# `fedlocal.data.policies`; the spells table records in its `rule` column which rule produced each row.
#
# - **SC start**: White's exact day where she has the county; otherwise the month from the monthly
#   file, dated the 15th (the middle of the month); New York City is one row in White's file and is given
#   to all five boroughs; a handful of independent cities and enclaves without their own ICE
#   jurisdiction take their host county's date; two counties in neither file take the date ICE switched
#   on the rest of their state. **SC end** [`sc_end`]: `window_end` keeps SC on through December 2014;
#   `suspension` ends it on 2014-11-20.
# - **287(g)**: an agreement starts on the signing date most sources report; its model on any day is
#   the model in the latest roster published before that day (a hybrid sets both JEM and TFM). It ends
#   on the last ICE roster that lists it (only known to lie between two rosters, so `bound`), or on
#   2009-10-15 for agencies that withdrew instead of signing the new standard agreement; agreements still
#   listed after 2014 stay open. Every task-force component ends by [`tfm_end_by`] at the latest.
#   Agencies of one county are combined; city police agreements count for the county containing the
#   city. State agencies (state police, state prisons) are not assigned to counties.
# - **Anti-detainer**: a county is on from its earliest policy event; a state law switches on every
#   county of the state on its effective date. A city policy that does not govern the county jail (a city
#   police department) counts only if [`antidetainer_city_policies`] (New York City runs its own county
#   jails, so its laws count). Dates known only to a month, a year or as "in place by" are dated by
#   [`antidetainer_bound_date`]: `in_place_by` takes the latest date the source allows, `midpoint` the
#   middle of the plausible window.
# - **Months** [`month_coding`]: a month with a start or end inside it counts as covered if the program was
#   in force on `any_day` of it, on the `majority` of its days, or on the `full_month`.

# %%
spells = policies.build_spells(sc_end=sc_end, tfm_end_by=tfm_end_by, antidetainer_city_policies=antidetainer_city_policies,
                               antidetainer_bound_date=antidetainer_bound_date)
panel = policies.build_panel(spells, month_coding=month_coding)
events = policies.anti_detainer_events(antidetainer_city_policies=antidetainer_city_policies,
                                       antidetainer_bound_date=antidetainer_bound_date).drop(columns="counties_switched")

spells.to_csv(out.data / "policy-spells.csv", index=False, lineterminator="\n")
panel.to_parquet(out.data / "policy-panel.parquet", index=False)
events.to_csv(out.data / "anti-detainer-events.csv", index=False, lineterminator="\n")

per_program = spells.groupby("program").agg(spells=("fips", "size"), counties=("fips", "nunique")).reindex(list(policies.PROGRAMS))
print(per_program.to_string())

# %% [markdown]
# ## Checks against known facts
#
# The tests in `tests/data/test_policies.py` assert these facts; they are printed here for the reader.

# %%
p = panel.set_index(["fips", "month"])
first_sc = spells[spells["program"] == "sc"]["start"].min()
full_sc = p.groupby(level="month")["sc"].mean()
full_month = full_sc[full_sc == 1].index.min()
ca = counties.loc[counties["state"] == "CA", "fips"]
print("first SC activation:", first_sc, "| Harris County TX:", spells.query("fips == '48201' and program == 'sc'")["start"].iloc[0])
print("first month with SC in every county:", full_month)
print("Maricopa AZ 2009-03 jem/tfm:", p.loc[("04013", "2009-03"), ["jem", "tfm"]].tolist(),
      "| 2012-06:", p.loc[("04013", "2012-06"), ["jem", "tfm"]].tolist())
ad = spells[spells["program"] == "antidetainer"].set_index("fips")["start"]
print("anti-detainer start, Cook IL:", ad["17031"], "| Santa Clara CA:", ad["06085"])
print("California counties with anti-detainer in 2014-01:", int(p.loc[[(f, "2014-01") for f in ca], "antidetainer"].sum()), "of", len(ca))

# %% [markdown]
# ## Coverage over time
#
# The share of the US population (2010 census) living in a county where each program was in force.

# %%
cov = policies.coverage_by_month(panel)
labels = {"sc": "Secure Communities", "jem": "287(g) jail model", "tfm": "287(g) task force", "antidetainer": "Anti-detainer policy"}
fig, ax = plt.subplots()
x = pd.PeriodIndex(cov.index, freq="M").to_timestamp()
for prog in policies.PROGRAMS:
    ax.plot(x, cov[prog], label=labels[prog])
ax.set_ylabel("share of US population covered")
ax.set_ylim(0, 1.02)
ax.legend(frameon=False, loc="upper left")
ax.set_title("Population living in a covered county, by month, 2005-2014")
save_figure(fig, out, "policy-coverage-by-month")
plt.show()

# %%
by_year = policies.coverage_by_year(panel)
display = by_year.assign(
    program=by_year["program"].map(labels),
    counties_december=by_year["counties_december"].map(fmt_int),
    counties_any_month=by_year["counties_any_month"].map(fmt_int),
    population_december=(by_year["population_december"] / 1e6).map(lambda v: f"{v:,.1f}"),
    population_share_december=by_year["population_share_december"].map(fmt_pct),
).rename(columns={"program": "Program", "year": "Year", "counties_december": "Counties (December)",
                  "counties_any_month": "Counties (any month)", "population_december": "Population, millions (December)",
                  "population_share_december": "% of US population (December)"})
save_table(by_year, out, "policy-coverage-by-year", display=display)
print(display[display["Year"].isin([2008, 2010, 2012, 2014])].to_string(index=False))

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
east = policies.east_panel()
agree = policies.agreement(panel, east)
sc_check = policies.sc_source_agreement()
sc_row = pd.DataFrame([{"program": "sc (White vs monthly file, counties)", "county_months": sc_check["counties_both"],
                        "agree_share": sc_check["share_same_month"], "on_either": sc_check["counties_both"],
                        "agree_when_on_share": sc_check["share_same_month"], "counties_ours": sc_check["counties_both"],
                        "counties_other": sc_check["counties_both"]}])
agree_table = pd.concat([agree, sc_row], ignore_index=True)
save_table(agree_table, out, "east-agreement", display=agree_table.assign(
    agree_share=agree_table["agree_share"].map(fmt_pct), agree_when_on_share=agree_table["agree_when_on_share"].map(fmt_pct),
    county_months=agree_table["county_months"].map(fmt_int), on_either=agree_table["on_either"].map(fmt_int),
).rename(columns={"program": "Program", "county_months": "Units compared", "agree_share": "% agree",
                  "on_either": "Units on in either", "agree_when_on_share": "% agree when on in either",
                  "counties_ours": "Counties (ours)", "counties_other": "Counties (other)"}))
print(agree_table.to_string(index=False))

# %%
dis = policies.disagreements(panel, east).merge(counties[["fips", "county_name", "state"]], on="fips")
print(dis["kind"].value_counts().to_string())
print(dis.sort_values("months_differ", ascending=False).head(20).to_string(index=False))

# %% [markdown]
# **Reading the disagreements.** Most are one month at the start: East et al. switch a county on in the
# month *after* the agreement was signed, this build from the signing day (with the month counted when
# most of it is covered). The large ones are of four kinds:
#
# 1. *End of 287(g) jail agreements.* Where ICE's rosters stop listing an agreement (Riverside and San
#    Bernardino CA, Davidson TN, Rockingham VA, Pima AZ, the Maricopa sheriff in 2011) this build ends it
#    at the last listing; East et al. keep several on to late 2014. Conversely East end Washington County UT
#    in 2012 while the upstream reconstruction lists a merged "Washington County" agency to 2017.
# 2. *Task-force components.* East's labels cannot say when a hybrid became jail-only, so each hybrid
#    county counts as task force to the end of their spell; the rosters show the task-force part ending
#    with the October 2009 re-signing or the 2010 rosters.
# 3. *Agreements East do not code*: agencies that withdrew in 2009 (Brevard and Manatee FL, Barnstable
#    and Framingham MA, Cumberland NC), the Prince William County police task force, and the independent
#    cities of Manassas and Manassas Park (coded here as their own county-equivalents).
# 4. *Lexington County SC*: signed in 2010 (Kostandini et al.); East's file starts it only in 2013,
#    a gap the upstream audit also flags.

# %% [markdown]
# ## Anti-detainer events: timing cross-check with declined detainers
#
# A jail that starts refusing detainers in bulk should have a policy dated at or before that year. NPR's
# FOIA extract counts detainers "declined by the law-enforcement agency" by jail and year (calendar or
# fiscal year: NPR does not say). A policy dated well before the first year of bulk declines points to a
# policy adopted on paper but applied later (or to reimbursement clauses that left detainers honoured).

# %%
checks = {"Santa Clara CA": ("santa clara co", "CA", "06085"), "Cook IL": ("cook county jail", "IL", "17031"),
          "King WA": ("king county", "WA", "53033"), "Multnomah OR": ("multnomah", "OR", "41051"),
          "Miami-Dade FL": ("dade|tgk|turner guilford", "FL", "12086")}
rows = []
for name, (pattern, st, f) in checks.items():
    d = policies.npr_declines(pattern, st)
    bulk = d.loc[d["declined"] >= 20, "year"]
    rows.append({"county": name, "policy_start": ad.get(f, ""), "first_year_20plus_declined": int(bulk.min()) if len(bulk) else None,
                 "declined_by_year": "; ".join(f"{int(y)}: {int(n)}" for y, n in zip(d["year"], d["declined"]))})
print(pd.DataFrame(rows).to_string(index=False))

# %% [markdown]
# ## Numbers for the manuscript

# %%
g287 = panel.assign(any287=(panel["jem"] | panel["tfm"]))
n287 = g287.groupby("month")["any287"].sum()
agree_i = agree.set_index("program")
variables = {
    "sc_first_activation": first_sc,
    "sc_full_coverage_month": pd.Period(full_month, "M").strftime("%B %Y"),
    "peak_287g_counties": int(n287.max()),
    "peak_287g_month": pd.Period(n287.idxmax(), "M").strftime("%B %Y"),
    "sc_white_monthly_agree_pct": fmt_pct(sc_check["share_same_month"]),
    "sc_counties_both_files": fmt_int(sc_check["counties_both"]),
    "antidetainer_events": fmt_int(len(events)),
    "antidetainer_events_undated": fmt_int((events["date_used"] == "").sum()),
    "antidetainer_counties_2014": fmt_int(panel.loc[panel["month"] == "2014-12", "antidetainer"].sum()),
}
for prog in policies.PROGRAMS:
    variables[f"{prog}_counties"] = fmt_int(per_program.loc[prog, "counties"])
    variables[f"{prog}_spells"] = fmt_int(per_program.loc[prog, "spells"])
for prog in ("jem", "tfm", "any_287g"):
    variables[f"east_agree_{prog}_pct"] = fmt_pct(agree_i.loc[prog, "agree_share"])
    variables[f"east_agree_when_on_{prog}_pct"] = fmt_pct(agree_i.loc[prog, "agree_when_on_share"])
save_variables(out, "policies", variables)
for k, v in sorted(variables.items()):
    print(f"{k}: {v}")
