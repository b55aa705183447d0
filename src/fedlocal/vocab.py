"""The study's vocabulary, defined once: policies, groups, their labels, and the allowed values of
every coding choice. Everything else imports these names rather than spelling them again, so a new
policy or group is added in one place and the parameter schema, the panel builder and the models agree.
"""

from __future__ import annotations

# The four county policies, in the order tables list them.
POLICIES = ("sc", "jem", "tfm", "antidetainer")
POLICY_LABELS = {"sc": "Secure Communities", "jem": "287(g) jail model", "tfm": "287(g) task force",
                 "antidetainer": "Anti-detainer policy"}

# Race/ethnicity categories of the NCVS person file (race_eth), and the three the paper models separately.
RACE_ETH = ("latino", "black", "white", "other")
GROUPS = ("latino", "black", "white")
GROUP_LABELS = {"all": "All persons", "latino": "Latino", "black": "Non-Latino Black", "white": "Non-Latino white",
                "other": "Other"}

# NCVS person-interview sources behind the one schema.
NCVS_SOURCES = ("synthetic", "restricted")
# the BJS race/ethnicity gaps the synthetic victimization is raked to (fedlocal.synthetic.calibration)
SYNTHETIC_GROUP_GAPS = ("bjs_2015_2017", "bjs_by_year")
NCVS_SOURCE_LABELS = {"synthetic": "synthetic NCVS", "restricted": "restricted NCVS"}

# Coding choices (each a run parameter; the docs live in params.SCHEMA).
EXPOSURE_RULES = ("any", "all", "share", "at_interview")
SC_ENDS = ("window_end", "suspension")
MONTH_CODINGS = ("any_day", "majority", "full_month")
BOUND_DATES = ("in_place_by", "midpoint")
CITY_POLICIES = ("ignore", "county", "population_share")
YEAR_ONLY_DATES = ("july_1", "january_1", "december_31", "drop")
AGREEMENT_STARTS = ("signing", "operation")
CLUSTERS = ("county", "person")
FEW_CLUSTER_INFERENCE = ("cluster", "score_bootstrap")  # the main p-value: clustered Wald, or wild score bootstrap
MONTE_CARLO_WORLDS = ("null", "planted", "grid", "shocks", "pretrend", "harder")
MONTE_CARLO_ENGINES = ("serial", "joblib", "dask")
