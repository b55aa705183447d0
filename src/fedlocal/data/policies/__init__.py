"""County policy timelines 2005-2014: Secure Communities, 287(g) jail and task-force models, anti-detainer policies.

The four treatments are county-level policies that switch on (and sometimes off). The registered public
sources become

- a spells table, one row per county x program x contiguous spell: fips, program, start, end (inclusive;
  empty = still on), date_precision (of the start), sources, confidence, rule (the coding rule that made it);
- a county x month panel 2005-01..2014-12 (every county of the 2010 frame, one 0/1 column per program);
- checks against East et al.'s 287(g) county spells, between the two Secure Communities files, and against
  NPR's declined detainers.

Modules: `spells` (what a spell is; the day arithmetic shared with exposure), `sc`, `g287` (with the agency
table agency_counties.csv and the documented dates g287_documented_dates.csv), `cities` (city population shares),
`antidetainer` (the curated table in data/curated/), `panel` (all spells, the panel, coverage), `crosscheck` and
`sensitivity` (exposure under alternative codings).
Every coding decision is a keyword argument whose default is the run parameter's default
(fedlocal.params.SCHEMA; allowed values in fedlocal.vocab): sc_end, tfm_end_by, city_policies,
antidetainer_bound_date, year_only_dates, agreement_start, month_coding.
"""
