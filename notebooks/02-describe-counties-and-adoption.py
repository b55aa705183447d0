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
# # Counties 2005–2014: covariates, and who adopted which program
#
# The victimization models compare people in the same county before and after a program switched on,
# and control for how counties differ: their ethnic and racial make-up, immigration history, income,
# poverty, unemployment, residential stability, urbanicity, region and closeness to the Mexican border.
# This notebook (1) builds that **county × year panel** for 2005–2014 from public Census, ACS, BLS and
# NCHS files, and (2) asks, with real data, **which counties entered each program and when** — the
# question every reader of a before/after design asks first: were the adopters different, and does
# what made them adopt also move victimization?
#
# Every number here comes from real public data; nothing is synthetic.

# %% tags=["parameters"]
input_dir = ""
output_dir = ""

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fedlocal.data import covariates
from fedlocal.models import adoption
from fedlocal.paths import layout
from fedlocal.report import fmt_int, fmt_num, save_figure, save_table, save_variables, setup_matplotlib

src, out = layout(input_dir), layout(output_dir)
out.data.mkdir(parents=True, exist_ok=True)
setup_matplotlib()
pd.set_option("display.width", 160, "display.max_colwidth", 90)

# %% [markdown]
# ## 1. The covariate panel
#
# One row per county of the 2010 Census vintage (3,143 counties: 50 states and DC; codes of other
# vintages are mapped onto it) and year 2005–2014. Where each column comes from:

# %%
print(covariates.SOURCES.to_string(index=False))

# %% [markdown]
# **From period estimates to years.** A census count describes one day; an ACS 5-year estimate
# describes a 5-year window. Each is placed at its midpoint as an *anchor* (census 2000 → 2000;
# census-2000 poverty, which refers to 1999 incomes → 1999; ACS 2006–2010 → 2008; ACS 2009–2013 →
# 2011; ACS 2012–2016 → 2014; population estimates and the 2014 QuickFacts estimates → their year).
# A year's value is the straight-line interpolation between the two anchors around it; before the
# first anchor and after the last one the nearest anchor is carried flat. So % foreign born is the
# ACS 2006–2010 value in 2005–2008, moves linearly to the ACS 2009–2013 value by 2011, and stays there.
# Population is the census count in 2000 and 2010 (interpolated between them for 2005–2009) and the
# Census Bureau's July estimate in 2011–2014. Unemployment needs no rule: BLS publishes an annual
# average per county, read here from BLS's own text files (the vintage BLS published then; later
# revisions differ by up to about 0.4 points).
#
# **Coding decisions.**
#
# - *% non-Latino Black*: the 2000 and 2010 census shares from Opportunity Insights are non-Hispanic
#   Black. The only 2014 source (QuickFacts) counts Black *alone*, of any ethnicity; for 2014 the
#   2010 non-Latino level is moved by the 2010–2014 change in % Black alone. This approximates the
#   non-Latino change by the all-Black change (the two differ where many Latinos are Black, e.g. the Bronx).
# - *Median household income* is in nominal dollars of each ACS period (not inflation-adjusted).
# - *Metro* is NCHS codes 1–4, the same 2013 OMB delineation as county_complete's metro flag.
# - *Border*: the 22 counties whose boundary is the US–Mexico land border (listed with names in
#   `fedlocal.data.covariates.BORDER_COUNTIES`).
# - *New Latino destination* (after Lichter & Johnson 2009, moved to the 2000s): Latinos were under
#   10% of the county in 2000, numbered at least 1,000 in 2010, and at least doubled between the two
#   censuses.

# %%
panel = covariates.build_covariates()
panel.to_parquet(out.data / "county-covariates.parquet", index=False)
y2010 = panel[panel["year"] == 2010]
print(f"{panel['fips'].nunique():,} counties x {panel['year'].nunique()} years = {len(panel):,} rows")
print(f"border counties: {int(y2010['border'].sum())}; new Latino destinations: {int(y2010['new_destination'].sum())}; "
      f"metro counties: {int(y2010['metro'].sum()):,}")
check = panel.set_index(["fips", "year"])
print("Los Angeles 2010 population:", f"{check.loc[('06037', 2010), 'population']:,}",
      "| Cook 2010:", f"{check.loc[('17031', 2010), 'population']:,}")
print("Los Angeles unemployment 2005, 2014:", check.loc[("06037", 2005), "unemployment_rate"],
      check.loc[("06037", 2014), "unemployment_rate"], "| % foreign born 2005-2014:",
      f"{check.loc['06037', 'pct_foreign_born'].min():.1f}-{check.loc['06037', 'pct_foreign_born'].max():.1f}")

# %% [markdown]
# **Gaps stay visible.** The cells no source fills are left missing, not imputed:

# %%
gaps = covariates.missing_cells(panel)
print(gaps.to_string(index=False))

# %% [markdown]
# - Unemployment: BLS published no 2005–2006 figures for seven Louisiana parishes after hurricanes
#   Katrina and Rita, and never publishes Kalawao County, Hawaii (about 90 residents).
# - Race and ethnicity for Bedford city, Virginia (merged into Bedford County in 2013): none of the
#   sources carries it.
#
# **Two covariates of the paper are absent.** *Police officers per capita* and *% recent immigrants*
# have no county source in this project's data registry, so the panel has no such columns (the models
# treat them as optional controls). Someone with the restricted analysis in a research data center
# would add them as two more columns keyed by `fips` and `year`: sworn officers per 1,000 residents
# from the FBI's annual police-employee counts (agency-level, summed to counties, over `population`),
# and the share of residents who entered the US in the previous five years from the ACS year-of-entry
# tables (5-year periods, annualized by the same midpoint rule).

# %%
weighted = panel.assign(w=panel["population"].astype(float))
trend = pd.DataFrame({
    c: weighted.dropna(subset=[c]).groupby("year").apply(lambda d: np.average(d[c], weights=d["w"]), include_groups=False)
    for c in ["pct_latino", "pct_foreign_born", "unemployment_rate"]})
print(trend.round(2).to_string())

# %% [markdown]
# (Population-weighted national means of three covariates, as a sanity check: the Latino share rises
# steadily, foreign born barely moves, and unemployment traces the 2008–2010 recession.)
#
# ## 2. Who adopted, before adoption
#
# Counties are compared on their **2005** covariates — before any program began, except the few 287(g)
# agreements signed in 2005 (counted below). Four groups: counties that ever had a 287(g) **jail** agreement, a 287(g)
# **task-force** agreement, an **anti-detainer** policy by 2014, and counties where **Secure Communities**
# was switched on early (by the end of 2010; SC reached every county by January 2013, so "adopters vs
# others" means early vs late). Means are unweighted across counties; *SMD* is the standardized mean
# difference (adopters minus others, in pooled standard deviations; |SMD| > 0.25 is a large imbalance).

# %%
spells = pd.read_csv(src.data / "policy-spells.csv", dtype=str, keep_default_na=False)
base = panel[panel["year"] == 2005].assign(
    population_k=lambda d: d["population"].astype(float) / 1000, south=lambda d: (d["region"] == "South").astype(float),
    metro=lambda d: d["metro"].astype(float), border=lambda d: d["border"].astype(float),
    new_destination=lambda d: d["new_destination"].astype(float), income_k=lambda d: d["median_hh_income"] / 1000)
sc_entry = adoption.entry_years(spells, ("sc",))
groups = {
    "287(g) jail": adoption.entry_years(spells, ("jem",)).pipe(lambda e: pd.Series(True, index=e.index)),
    "287(g) task force": adoption.entry_years(spells, ("tfm",)).pipe(lambda e: pd.Series(True, index=e.index)),
    "SC by 2010": sc_entry <= 2010,
    "anti-detainer": adoption.entry_years(spells, ("antidetainer",)).pipe(lambda e: pd.Series(True, index=e.index)),
}
balance_labels = {
    "population_k": "population (thousands)", "pct_latino": "% Latino", "pct_black": "% non-Latino Black",
    "pct_white_nh": "% non-Latino white", "pct_foreign_born": "% foreign born", "poverty_rate": "poverty rate (%)",
    "income_k": "median household income ($1,000s)", "unemployment_rate": "unemployment rate (%)",
    "pct_same_house": "% same house 1 year ago", "pct_owner": "% owner-occupied", "metro": "metro (share)",
    "south": "South (share)", "border": "Mexican border (share)", "new_destination": "new Latino destination (share)",
}
bal = adoption.balance(base, groups, list(balance_labels))
bal_display = pd.DataFrame({"Covariate (2005)": ["counties"] + [balance_labels[c] for c in balance_labels]})
bal_display["All counties"] = [fmt_int(bal.loc[0, "all"])] + [fmt_num(v, 1 if abs(v) >= 1 else 2) for v in bal["all"][1:]]
for name in groups:
    col_a, col_s = bal[f"{name}: adopters"], bal[f"{name}: smd"]
    bal_display[f"{name}: adopters"] = [fmt_int(col_a[0])] + [fmt_num(v, 1 if abs(v) >= 1 else 2) for v in col_a[1:]]
    bal_display[f"{name}: SMD"] = [""] + [fmt_num(v, 2) for v in col_s[1:]]
save_table(bal, out, "adopter-balance", display=bal_display)
print(bal_display.to_string(index=False))

# %%
g287_entry = adoption.entry_years(spells, ("jem", "tfm"))
print("287(g) counties by year of first agreement:", g287_entry.value_counts().sort_index().to_dict())
border_fips = list(covariates.BORDER_COUNTIES)
print("border counties with SC by 2010:", int((sc_entry.reindex(border_fips) <= 2010).sum()), "of", len(border_fips))

# %% [markdown]
# Read down a column. 287(g) counties (jail or task force) were far larger than the average county,
# almost all metropolitan, more often Southern, richer and less poor, with about twice the Latino share,
# three times the foreign-born share and three times the rate of new Latino destinations. Early-SC
# counties were larger and more Latino too, and include every border county — ICE switched SC on first
# along the border and where many non-citizens were booked. Anti-detainer counties (many through
# California's and Connecticut's state laws) were large, foreign born, rarely Southern, and had fewer
# homeowners. None of the four groups looks like the average county, which is why the victimization
# models compare each county with itself over time rather than adopters with non-adopters.
#
# ## 3. What predicted *when* a county entered: a discrete-time hazard model
#
# One row per county and year at risk, from the first year a county could enter until the year it did
# (its last row, event = 1); counties that never entered are censored at the end. A logit of the event
# on the covariates *of that year*, with one intercept per year (the baseline hazard — national roll-out
# and policy climate), and standard errors clustered by state (states shaped both programs: North
# Carolina's sheriffs' 287(g) wave, ICE's state-by-state SC schedule). Odds ratios above 1 mean an
# earlier entry. Years with no entry at all are dropped (their own intercept absorbs them), and so are
# county-years with a missing covariate (the gaps listed in section 1).
#
# - **287(g)** (jail or task-force agreement, first signing), 2005–2014.
# - **Secure Communities** activation, 2008–2012. In January 2013 ICE switched on every remaining county
#   at once to meet its deadline; those counties are censored at the end of 2012, because their timing
#   reflects the deadline, not county traits.
#
# **Why the contrast matters.** 287(g) was *chosen* locally — a sheriff or county applied — so its
# timing can follow local politics, crime and immigration trends that may also move victimization.
# SC's order was set by ICE, so its timing is the more credible source of "as good as random"
# variation: but only if it does not follow the traits that also predict victimization. The model shows
# what each timing followed.

# %%
terms = list(adoption.TERMS)
fits = {
    "287(g)": adoption.fit_hazard(adoption.risk_set(panel, g287_entry, 2005, 2014), terms),
    "Secure Communities": adoption.fit_hazard(adoption.risk_set(panel, sc_entry, 2008, 2012), terms),
}
hazard = adoption.hazard_long(fits)
for name, f in fits.items():
    print(f"{name}: {f.n_events:,} entries in {f.n_county_years:,} county-years at risk ({f.n_counties:,} counties, "
          f"{f.n_clusters} state clusters); years used {f.years_used[0]}-{f.years_used[-1]}, dropped (no entry) {f.years_dropped}")


hazard["or_ci"] = [f"{r.odds_ratio:.2f} ({r.ci_low:.2f}–{r.ci_high:.2f})" if np.isfinite(r.odds_ratio) else "–"
                   for r in hazard.itertuples()]
haz_display = pd.DataFrame({"Covariate (per unit)": fits["287(g)"].table["label"].str.replace("(x e = 2.7 times larger)", "(2.7x larger)", regex=False)})
for name in fits:
    haz_display[f"{name}: odds ratio (95% CI)"] = hazard.loc[hazard["model"] == name, "or_ci"].to_numpy()
n_row = {"Covariate (per unit)": "entries / county-years at risk"}
n_row.update({f"{name}: odds ratio (95% CI)": f"{f.n_events:,} / {f.n_county_years:,}" for name, f in fits.items()})
haz_display = pd.concat([haz_display, pd.DataFrame([n_row])], ignore_index=True)
save_table(hazard.drop(columns="or_ci"), out, "adoption-hazard", display=haz_display)
print(haz_display.to_string(index=False))

# %%
fig, ax = plt.subplots(figsize=(7.5, 5.2))
labels = fits["287(g)"].table["label"].tolist()
ypos = np.arange(len(labels))[::-1]
for shift, (name, color) in zip((0.17, -0.17), (("287(g)", "#b2182b"), ("Secure Communities", "#2166ac"))):
    t = fits[name].table
    ax.errorbar(t["odds_ratio"], ypos + shift, xerr=[t["odds_ratio"] - t["ci_low"], t["ci_high"] - t["odds_ratio"]],
                fmt="o", color=color, ms=4, capsize=2, label=f"{name} ({fits[name].n_events:,} entries)")
ax.axvline(1, color="grey", lw=0.8)
ax.set_xscale("log")
ax.set_xticks([0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10, 25], ["0.05", "0.1", "0.25", "0.5", "1", "2", "4", "10", "25"])
ax.set_yticks(ypos, labels)
ax.set_xlabel("odds ratio of entering in a given year (log scale, 95% CI clustered by state)")
ax.set_title("What predicted when a county entered each program (real data, 2005-2014)")
ax.set_ylim(-0.7, len(labels) + 0.7)  # room for the legend above the first row
ax.legend(frameon=False, loc="upper left", ncol=2)
save_figure(fig, out, "adoption-hazard")
plt.show()

# %% [markdown]
# **Reading the estimates.** 287(g) entry followed *local* traits: large, metropolitan, Southern
# counties and new Latino destinations entered far sooner, and the Latino share itself added little
# once those are held fixed — the pattern of sheriffs in fast-changing Southern suburbs asking for the
# program. SC activation followed *ICE's* priorities: border counties and counties with a larger Latino
# share were switched on first, and size mattered much less. For identification this means: (1) the
# 287(g) comparison is the more exposed to local selection, so its estimates rest most on the county
# fixed effects and on pre-trend checks (notebook 05); (2) SC's timing is not random either — it is
# tied to Latino share and the border, the very traits that define the paper's subgroups — but it was
# set outside the county, on a schedule no county could speed up, which is what makes its
# before/after comparison the cleaner one.

# %%
by_term = hazard.set_index(["model", "term"])
values = {
    "counties_in_panel": int(panel["fips"].nunique()),
    "county_years": int(len(panel)),
    "border_counties": int(y2010["border"].sum()),
    "new_destination_counties": int(y2010["new_destination"].sum()),
    "metro_counties": int(y2010["metro"].sum()),
    "unemployment_missing_county_years": int(panel["unemployment_rate"].isna().sum()),
    "la_foreign_born_2005": fmt_num(check.loc[("06037", 2005), "pct_foreign_born"], 1),
    "la_unemployment_2014": fmt_num(check.loc[("06037", 2014), "unemployment_rate"], 1),
}
for key, model in (("g287", "287(g)"), ("sc", "Secure Communities")):
    f = fits[model]
    values[f"{key}_entries"] = f.n_events
    values[f"{key}_county_years"] = f.n_county_years
    for term in terms:
        r = by_term.loc[(model, term)]
        if np.isfinite(r.odds_ratio):
            values[f"{key}_or_{term}"] = fmt_num(r.odds_ratio, 2)
            values[f"{key}_ci_{term}"] = f"{r.ci_low:.2f}–{r.ci_high:.2f}"
b = bal.set_index("covariate")
for key, name in (("jem", "287(g) jail"), ("tfm", "287(g) task force"), ("sc_early", "SC by 2010"), ("antidetainer", "anti-detainer")):
    values[f"{key}_adopters"] = int(b.loc["counties", f"{name}: adopters"])
    values[f"{key}_pct_latino_adopters"] = fmt_num(b.loc["pct_latino", f"{name}: adopters"], 1)
    values[f"{key}_pct_latino_others"] = fmt_num(b.loc["pct_latino", f"{name}: others"], 1)
    values[f"{key}_population_k_adopters"] = fmt_int(b.loc["population_k", f"{name}: adopters"])
    values[f"{key}_population_k_others"] = fmt_int(b.loc["population_k", f"{name}: others"])
values["border_sc_by_2010"] = fmt_int((sc_entry.reindex(border_fips) <= 2010).sum())
save_variables(out, "counties", values)
for k in sorted(values):
    print(f"{k}: {values[k]}")
