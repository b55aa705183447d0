"""Run parameters: one declared schema, validated before any notebook starts.

A run is described by a YAML file in params/ plus optional `--set key=value` overrides. Every key
must be declared here (name, type, allowed values, default, what it means); anything else is
refused with one message naming the key, the file and what is allowed.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fedlocal import FedlocalError
from fedlocal.vocab import (
    AGREEMENT_STARTS,
    BOUND_DATES,
    CITY_POLICIES,
    CLUSTERS,
    EXPOSURE_RULES,
    FEW_CLUSTER_INFERENCE,
    MONTE_CARLO_ENGINES,
    MONTE_CARLO_WORLDS,
    MONTH_CODINGS,
    NCVS_SOURCES,
    POLICIES,
    RACE_ETH,
    SC_ENDS,
    SYNTHETIC_GROUP_GAPS,
    YEAR_ONLY_DATES,
)


class ParamError(FedlocalError):
    """A parameter file or override is invalid."""


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping gives the same key twice (PyYAML would silently keep the last)."""


class ParamLoader(yaml.SafeLoader):
    """YAML as a person writes parameters: dates stay text (checked by the schema, so 2012-02-30 gets a message,
    not a traceback), 5e-1 is a float (YAML 1.1 wants 5.0e-1), and a key given twice is an error."""


ParamLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
ParamLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789"))


def _mapping_without_duplicates(loader: ParamLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise DuplicateKeyError(problem=f"key {key!r} is given twice (lines {seen[key] + 1} and "
                                            f"{key_node.start_mark.line + 1}); keep one", problem_mark=key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


ParamLoader.add_constructor("tag:yaml.org,2002:map", _mapping_without_duplicates)


def read_yaml(text: str):
    """Parse parameter YAML with ParamLoader's rules."""
    return yaml.load(text, Loader=ParamLoader)  # noqa: S506 (a SafeLoader subclass)


@dataclass(frozen=True)
class Param:
    kind: str  # int, float, bool, str, date, choice, odds_table, choice_list, float_list, spec_list
    default: Any
    doc: str
    choices: tuple = ()
    lo: float | None = None
    hi: float | None = None
    items: tuple = field(default_factory=tuple)  # allowed list items


# The defensible alternatives of the specification curve (issue 16), one choice at a time against the default run:
# the exposure rule, clustering and survey weights (stages 03-04 rerun, the policy stages reused), and the contested
# policy codings of issue 13 (from stage 01). The estimator is the curve's ninth choice, read from stage 05.
DEFAULT_SPECIFICATIONS = ("exposure_rule=all", "exposure_rule=share", "exposure_rule=at_interview", "cluster=person",
                          "survey_weights=true", "sc_end=suspension", "city_policies=county",
                          "city_policies=population_share", "year_only_dates=december_31", "month_coding=any_day",
                          "month_coding=full_month", "agreement_start=operation")
SPECIFICATION_KEYS_NOT_ALLOWED = ("run_name", "specifications")  # a specification changes the analysis, not bookkeeping

SCHEMA: dict[str, Param] = {
    # the run
    "run_name": Param("str", "default", "Name of a variant run; it writes under results/runs/<run_name>-<hash of its parameters>/."),
    "seed": Param("int", 20230417, "Seed for every random generator (synthetic NCVS, bootstrap).", lo=0),
    "first_year": Param("int", 2005, "First NCVS interview year in the analysis window.", lo=2005, hi=2014),
    "last_year": Param("int", 2014, "Last NCVS interview year in the analysis window.", lo=2005, hi=2014),
    # policy coding (01)
    "sc_end": Param("choice", "window_end", "When Secure Communities switches off: 'window_end' keeps it on through "
                    "December 2014; 'suspension' ends it on 2014-11-20 (DHS memo).", choices=SC_ENDS),
    "tfm_end_by": Param("date", "2012-12-31", "Latest end date of any 287(g) task-force component (ICE ended the model in December 2012)."),
    "city_policies": Param("choice", "ignore", "How a city's own policy (a city police 287(g) agreement, a city "
                           "anti-detainer policy) that does not govern the county jail enters its county: 'ignore' "
                           "(default: the county jail, where detainers are served, is not bound by it), 'county' (the "
                           "whole county), 'population_share' (weighted by the city's share of the county population).",
                           choices=CITY_POLICIES),
    "year_only_dates": Param("choice", "july_1", "Day used for an anti-detainer policy known only to its year: 'july_1' "
                             "(default: the middle of the year, the least biased guess), 'january_1', 'december_31' or "
                             "'drop'; each moved into the window the sources allow.", choices=YEAR_ONLY_DATES),
    "agreement_start": Param("choice", "signing", "Start of a 287(g) agreement: 'signing' (the MOA date) or 'operation' "
                             "(the documented first day of operation, else signing plus the median documented lag).",
                             choices=AGREEMENT_STARTS),
    "antidetainer_bound_date": Param("choice", "in_place_by", "Date used for policies known only by an upper bound: 'in_place_by' "
                                     "(conservative) or 'midpoint' between not_before and in_place_by.", choices=BOUND_DATES),
    "month_coding": Param("choice", "majority", "How a month with a mid-month start or end counts in the county x month panel: "
                          "'any_day', 'majority' (active on at least half of its days) or 'full_month'; it also decides "
                          "the SC activations known only to the month (January 2013: counted unless 'full_month').",
                          choices=MONTH_CODINGS),
    # synthetic NCVS (03)
    "ncvs_source": Param("choice", "synthetic", "NCVS person-interview source: 'synthetic' (simulated, default) or 'restricted' "
                         "(the real county-identified file, directory in FEDLOCAL_NCVS_DIR).", choices=NCVS_SOURCES),
    "scale": Param("float", 1.0, "Synthetic sample size relative to the paper's (1.0 = about 354,000 persons, 1,006,000 interviews).", lo=0.001, hi=3.0),
    "exposure_rule": Param("choice", "any", "Exposure of an interview's 6-month reference period to a policy: 'any' day active, "
                           "'all' days, 'share' of days, or 'at_interview' (active in the interview month).",
                           choices=EXPOSURE_RULES),
    "planted_odds_ratios": Param("odds_table", {"sc": {"latino": 1.2}, "tfm": {"latino": 1.2}},
                                 "Synthetic data only: odds ratios planted per policy x group (missing cells = 1.0)."),
    "county_sd": Param("float", 0.25, "Synthetic data only: SD of the county random intercept (log-odds).", lo=0.0, hi=3.0),
    "person_sd": Param("float", 0.8, "Synthetic data only: SD of the person random intercept (log-odds).", lo=0.0, hi=5.0),
    "synthetic_group_gaps": Param("choice", "bjs_2015_2017", "Synthetic data only: the BJS violent victimization rates of "
                                  "white, black and Hispanic persons the race/ethnicity gradient is raked to: "
                                  "'bjs_2015_2017' (one set, the 2015-2017 average of Criminal Victimization 2017 table 8; "
                                  "2002 and 2013 held out to validate it) or 'bjs_by_year' (each year's, 2005-2014, BJS "
                                  "NCVS dashboard; data/curated/bjs_violent_rate_by_race.csv). Stage 03's panel only: the "
                                  "Monte Carlo studies of stage 07 draw with the default.",
                                  choices=SYNTHETIC_GROUP_GAPS),
    "disclosure": Param("bool", False, "Release only disclosure-safe NCVS outputs (Census DRB rules: counts rounded on the schedule, "
                        "estimates to 4 significant digits, cells under 15 suppressed, printed notebook output withheld) and "
                        "write a confidential review bundle; always on when ncvs_source is 'restricted'."),
    # models (04, 05)
    "cluster": Param("choice", "county", "Cluster for standard errors.", choices=CLUSTERS),
    "survey_weights": Param("bool", False, "Weight models by the person weight.", ),
    "few_cluster_inference": Param("choice", "score_bootstrap", "Which test gives the main tables' p-values (notebook 04; "
                                   "both are always shown): 'cluster' (Wald test with county-clustered standard "
                                   "errors) or 'score_bootstrap' (wild cluster score bootstrap, Kline-Santos, "
                                   "bootstrap_draws draws). Default 'score_bootstrap', chosen by stage 07's committed "
                                   "size study (160 null-world panels at scale 0.25, 399 draws; the method closer to 5% "
                                   "without a cell whose Wilson interval lies wholly above 5%): over the 12 policy x group "
                                   "cells the clustered test rejected a true null in 11.5% of panels on average, up to "
                                   "22.8% (287(g) task force, Latino; 10 treated counties), 8 cells above 5%; the score "
                                   "bootstrap in 4.9% on average, at most 8.1% (Wilson 4.8-13.4%), no cell above.",
                                   choices=FEW_CLUSTER_INFERENCE),
    "bootstrap_draws": Param("int", 999, "Draws of the wild cluster score bootstrap in notebook 04 (Rademacher weights; "
                             "Webb's six-point weights where 12 or fewer counties carry a policy's variation); the "
                             "draws are seeded per policy x group from `seed`; 0 runs none (the main p-value is then the clustered "
                             "one): stage 08's variants run with 0, since their curve uses the clustered intervals and "
                             "the bootstrap's restricted fits would add about a minute to each.", lo=0, hi=99_999),
    "event_window": Param("int", 6, "Event-time leads and lags, in 6-month steps on each side of the start date.", lo=1, hi=12),
    "random_intercept_persons": Param("int", 0, "Notebook 05: the person random-intercept logit (adaptive quadrature) "
                                      "and the pooled between-within logit beside it are fitted on all persons (0) or on "
                                      "a random sample of this many; at the paper's scale the random-intercept fit costs an "
                                      "order of magnitude more than the pooled one (benchmarks/mixed.py).", lo=0),
    "random_intercept_nodes": Param("int", 7, "Notebook 05: adaptive Gauss-Hermite nodes per person of the random-intercept "
                                    "logit (1 = Laplace approximation).", lo=1, hi=30),
    # police-recorded crime (06)
    "msa_match_threshold": Param("float", 0.9, "Minimum population share two MSA county lists must share to be one MSA over time.", lo=0.5, hi=1.0),
    "msa_adoption_share": Param("float", 0.5, "An MSA adopts a policy in the first year this population share of it is covered.", lo=0.01, hi=1.0),
    # analysis windows of the metro-area models: each must hold years before and after the rollout it studies
    "msa_twfe_first_year": Param("int", 2003, "First year of the metro-area TWFE of all four policies (2003: the first "
                                 "table with the 2003 MSA delineations); at most 2008, before Secure Communities began.",
                                 lo=2000, hi=2008),
    "msa_twfe_last_year": Param("int", 2014, "Last year of the metro-area TWFE of all four policies; 2009-2014 (SC is not "
                                "coded after its suspension in November 2014).", lo=2009, hi=2014),
    "msa_sc_staggered_first_year": Param("int", 2004, "First year of the metro-area Callaway-Sant'Anna estimate for SC; at "
                                         "most 2008, so the first adopters have years before adoption.", lo=2000, hi=2008),
    "msa_sc_staggered_last_year": Param("int", 2014, "Last year of the metro-area Callaway-Sant'Anna estimate for SC; "
                                        "2009-2014 (SC is not coded after 2014).", lo=2009, hi=2014),
    "msa_partly_treated": Param("choice", "treated", "Metro-area Callaway-Sant'Anna: years in which an MSA is partly "
                                "covered before it adopts (covered share above 0, below msa_adoption_share) count as "
                                "'treated' (the adoption year moves to the first year of any coverage) or are 'dropped' "
                                "from every comparison; both are shown in notebook 06.", choices=("treated", "drop")),
    "msa_antidetainer_first_year": Param("int", 2003, "First year of the metro-area TWFE and Callaway-Sant'Anna estimates for "
                                         "anti-detainer policies; at most 2011, before the first policy (September 2011).",
                                         lo=2000, hi=2011),
    "msa_antidetainer_last_year": Param("int", 2014, "Last year of the metro-area anti-detainer estimates; from 2012 (the "
                                        "first adoptions) to 2014, the last year of the policy data (adoptions after "
                                        "2014 are not in the data, so later years would count later adopters as "
                                        "never treated).", lo=2012, hi=2014),
    # Monte Carlo of what the design can detect (07)
    "montecarlo_replications": Param("int", 20, "Synthetic panels drawn and fitted per Monte Carlo world. The canonical "
                                     "study (params/default.yaml: 200 at scale 1.0) is committed and read back; other "
                                     "runs that change stage 07's inputs draw their own, by default 20 at scale 0.1 "
                                     "(minutes, not the hour the canonical study takes on 2 cores).", lo=1, hi=100_000),
    "montecarlo_worlds": Param("choice_list", ["null", "planted"], "Monte Carlo worlds: 'null' (no effect: size, and the "
                               "power curve by shifting its estimates), 'planted' (planted_odds_ratios: power, coverage), "
                               "'grid' (optional: montecarlo_or_grid planted in every cell, power simulated point by point), "
                               "'shocks' (optional: the planted world with county x year shocks), 'pretrend' (optional: no "
                               "effect, adopting counties trending differently before adoption); the last two calibrated to "
                               "metro police-recorded crime (synthetic/stress.py).",
                               items=MONTE_CARLO_WORLDS),
    "montecarlo_or_grid": Param("float_list", [1.2, 1.5, 2.0, 3.0], "Odds ratios of the power curve: its largest is the "
                                "figure's right end; with 'grid' in montecarlo_worlds each is also simulated as a world "
                                "(increasing, above 1).", lo=1.0, hi=100.0),
    "montecarlo_scale": Param("float", 0.1, "Sample size of each Monte Carlo panel relative to the paper's (1.0 = the "
                              "paper's scale).", lo=0.001, hi=3.0),
    "montecarlo_engine": Param("choice", "joblib", "Engine that runs the replications: 'serial', 'joblib' (processes on this "
                               "machine) or 'dask' (a local Dask cluster; needs the 'dask' extra).", choices=MONTE_CARLO_ENGINES),
    "montecarlo_pinned_spells": Param("bool", False, "Draw the Monte Carlo panels with the policy spells the committed "
                                      "canonical study was drawn with (data/derived/montecarlo-inputs/policy-spells.csv) "
                                      "instead of this run's, so that a policy-coding correction does not refit an hour of "
                                      "panels; the stage reports in how many counties the two codings differ. The stress "
                                      "study likewise keeps the shock and pre-trend sizes it was drawn with "
                                      "(data/derived/montecarlo-inputs/stress-calibration.json) when metro crime data change."),
    "montecarlo_few_cluster_replications": Param("int", 20, "Null-world panels of the few-cluster size study (stage 07): "
                                                 "per policy x group, how often the clustered Wald test and the score "
                                                 "bootstrap (399 draws) reject a true null at 5%. The canonical study "
                                                 "(params/default.yaml: 160 at scale 0.25) is committed "
                                                 "(data/derived/montecarlo-few-cluster/) and read back.", lo=1, hi=100_000),
    "montecarlo_few_cluster_scale": Param("float", 0.1, "Sample size of the few-cluster size study's panels relative to "
                                          "the paper's (the treated counties are the same at every scale; the persons "
                                          "per county are not).", lo=0.001, hi=3.0),
    "montecarlo_workers": Param("int", 2, "Worker processes of the Monte Carlo engine (one BLAS thread each).", lo=1, hi=1024),
    "montecarlo_stress_worlds": Param("choice_list", ["harder"], "Worlds of stage 07's second study, where the estimators "
                                      "can fail, run beside the first at their own size (montecarlo_stress_replications, "
                                      "montecarlo_stress_scale): 'harder' (the planted odds ratios with county x year "
                                      "shocks, adopters trending before adoption and synthetic_time_in_sample at once), "
                                      "'shocks', 'pretrend', and 'null' / 'planted' to set the plain worlds beside them at "
                                      "the same size. The canonical study (params/default.yaml) is committed and read back.",
                                      items=tuple(w for w in MONTE_CARLO_WORLDS if w != "grid")),
    "montecarlo_stress_replications": Param("int", 20, "Synthetic panels drawn and fitted per world of the stress study "
                                            "(montecarlo_stress_worlds); the canonical 100 are committed.", lo=1, hi=100_000),
    "montecarlo_stress_scale": Param("float", 0.1, "Sample size of each stress-study panel relative to the paper's. A "
                                     "smaller panel has fewer persons per county, not fewer counties: every treated county "
                                     "is drawn at every scale.", lo=0.001, hi=3.0),
    "synthetic_time_in_sample": Param("float", 0.0, "Stress worlds only ('harder'): decline of the log odds of reporting a "
                                      "violent victimization per NCVS interview after the first (time-in-sample or "
                                      "panel-conditioning effect). Default 0 = off: no published size was found. Searched: "
                                      "Fay and Li (2010, JSM, 'Effects of unbounded interviews, time in sample, and recency "
                                      "on reported crimes in the NCVS'), Couzens, Berzofsky and Krebs (2014, JSM, mode "
                                      "effects and respondent fatigue), Hart, Rennison and Gibson (2005, J Quant Criminol, "
                                      "'Revisiting respondent fatigue bias in the NCVS', about nonresponse), National "
                                      "Research Council (2008, 2014) reviews: only abstracts and summaries were readable, "
                                      "which say the effect exists without giving its size.", lo=0.0, hi=1.0),
    # alternative specifications (08)
    "specifications": Param("spec_list", list(DEFAULT_SPECIFICATIONS),
                            "Alternative specifications whose main-model odds ratios are shown beside this run's: each a "
                            "'key=value' change of this run's parameters (several joined by ';'), run as a variant up to "
                            "the models stage and reused while unchanged; [] runs none."),
}


def defaults() -> dict[str, Any]:
    return {k: copy.deepcopy(p.default) for k, p in SCHEMA.items()}


def _allowed(p: Param) -> str:
    if p.kind == "choice":
        return "one of " + ", ".join(repr(c) for c in p.choices)
    if p.kind in ("int", "float"):
        rng = f" in [{p.lo}, {p.hi}]" if p.lo is not None and p.hi is not None else (f" >= {p.lo}" if p.lo is not None else "")
        return f"a{'n' if p.kind == 'int' else ''} {p.kind}{rng}"
    if p.kind == "date":
        return "a date YYYY-MM-DD"
    if p.kind == "choice_list":
        return "a non-empty list of distinct items from " + ", ".join(repr(c) for c in p.items)
    if p.kind == "float_list":
        return f"a non-empty list of increasing numbers in ({p.lo}, {p.hi}]"
    if p.kind == "odds_table":
        return f"a mapping policy -> group -> odds ratio > 0, policies {POLICIES}, groups {RACE_ETH}"
    if p.kind == "spec_list":
        return "a list of distinct 'key=value' texts (several changes joined by ';'), each a valid parameter value"
    return f"a {p.kind}"


def _check(key: str, value: Any, where: str) -> Any:
    p = SCHEMA[key]
    bad = lambda why="": ParamError(  # noqa: E731
        f"{where}: parameter {key!r} = {value!r} is not valid{why}; expected {_allowed(p)}. ({p.doc})")
    if p.kind == "bool":
        if not isinstance(value, bool):
            raise bad()
    elif p.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad()
    elif p.kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad()
        if not math.isfinite(value):
            raise bad(" (not a finite number)")
        value = float(value)
    elif p.kind == "str":
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9._-]+", value):
            raise bad(" (letters, digits, '.', '_' and '-' only)")
    elif p.kind == "choice":
        if value not in p.choices:
            raise bad()
    elif p.kind == "date":
        if isinstance(value, dt.date):
            value = value.isoformat()
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise bad()
        try:
            dt.date.fromisoformat(value)
        except ValueError as err:
            raise bad(f" (no such day: {err})") from None
    elif p.kind == "choice_list":
        if isinstance(value, list) and "null" in p.items:  # YAML reads a bare `null` as None
            value = ["null" if v is None else v for v in value]
        if not isinstance(value, list) or not value or len(set(map(str, value))) != len(value):
            raise bad()
        if any(v not in p.items for v in value):
            raise bad(f" (unknown item {next(v for v in value if v not in p.items)!r})")
        value = list(value)
    elif p.kind == "float_list":
        if not isinstance(value, list) or not value:
            raise bad()
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) for v in value):
            raise bad(" (numbers only)")
        value = [float(v) for v in value]
        if any(not (p.lo < v <= p.hi) for v in value) or any(b <= a for a, b in zip(value, value[1:])):
            raise bad(" (each above the lower bound, at most the upper, increasing)")
    elif p.kind == "odds_table":
        if not isinstance(value, dict):
            raise bad()
        for pol, row in value.items():
            if pol not in POLICIES:
                raise bad(f" (unknown policy {pol!r})")
            if not isinstance(row, dict):
                raise bad(f" (policy {pol!r} must map groups to odds ratios)")
            for g, v in row.items():
                if g not in RACE_ETH:
                    raise bad(f" (unknown group {g!r} under {pol!r})")
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not (v > 0 and math.isfinite(v)):
                    raise bad(f" ({pol}.{g} must be a positive finite number)")
        value = {pol: {g: float(v) for g, v in row.items()} for pol, row in value.items()}
    elif p.kind == "spec_list":
        if not isinstance(value, list) or len(set(map(str, value))) != len(value):
            raise bad()
        for text in value:
            try:
                specification_changes(text, where)
            except ParamError as err:
                raise bad(f" ({err})") from None
        value = [str(v) for v in value]
    if p.kind in ("int", "float") and ((p.lo is not None and value < p.lo) or (p.hi is not None and value > p.hi)):
        raise bad(" (out of range)")
    return value


def specification_changes(text: str, where: str = "specifications") -> tuple[str, ...]:
    """'key=value' or 'key=value; key2=value2' -> the changes, each a valid value of a parameter a specification
    may change (ParamError otherwise)."""
    changes = tuple(c.strip() for c in str(text).split(";") if c.strip())
    if not changes:
        raise ParamError(f"{where}: specification {text!r} is empty; write key=value, e.g. sc_end=suspension")
    for c in changes:
        key, value = parse_override(c)
        if key in SPECIFICATION_KEYS_NOT_ALLOWED or key not in SCHEMA:
            raise ParamError(f"{where}: specification {text!r} changes {key!r}, which is not a parameter a "
                             f"specification can change (see `fedlocal params`; not run_name or specifications)")
        _check(key, value, f"{where}: specification {text!r}")
    return changes


def parse_override(text: str) -> tuple[str, Any]:
    """`key=value` from the command line; the value is read as YAML (so 0.5, true, {sc: {latino: 1.3}} work)."""
    if "=" not in text:
        raise ParamError(f"--set {text!r}: expected key=value, e.g. --set scale=0.1")
    key, _, raw = text.partition("=")
    try:
        return key.strip(), read_yaml(raw)
    except yaml.YAMLError as err:
        raise ParamError(f"--set {text!r}: the value is not valid YAML ({err})") from None


def load(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """Defaults, then the file, then `--set` overrides; every value validated. Raises ParamError."""
    values = defaults()
    sources: dict[str, str] = {k: "defaults" for k in values}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ParamError(f"parameter file {path} not found; the files in params/ are the usual choices (default.yaml, ci.yaml, variants/*.yaml).")
        try:
            given = read_yaml(path.read_text()) or {}
        except DuplicateKeyError as err:
            raise ParamError(f"{path}: {err.problem}") from None
        except yaml.YAMLError as err:
            raise ParamError(f"{path}: not valid YAML: {err}") from None
        if not isinstance(given, dict):
            raise ParamError(f"{path}: expected a mapping of parameter names to values at the top level.")
        for k, v in given.items():
            values[k] = v
            sources[k] = str(path)
    for text in overrides:
        k, v = parse_override(text)
        values[k] = v
        sources[k] = f"--set {text}"
    for k in list(values):
        if k not in SCHEMA:
            near = [s for s in SCHEMA if s.split("_")[0] == str(k).split("_")[0]]
            raise ParamError(f"{sources[k]}: unknown parameter {k!r}." + (f" Did you mean {near[0]!r}?" if near else "")
                             + f" Known parameters: {', '.join(sorted(SCHEMA))}.")
        values[k] = _check(k, values[k], sources[k])
    if values["first_year"] > values["last_year"]:
        raise ParamError(f"{sources['first_year']}: first_year {values['first_year']} is after last_year {values['last_year']}.")
    return values


def fingerprint(values: dict[str, Any], keys: list[str] | None = None) -> str:
    chosen = values if keys is None else {k: values[k] for k in keys}
    return hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()


def document() -> str:
    """The parameter reference as a Markdown table (README and `fedlocal check --explain`)."""
    rows = ["| parameter | default | allowed | meaning |", "|---|---|---|---|"]
    for k, p in SCHEMA.items():
        rows.append(f"| `{k}` | `{json.dumps(p.default)}` | {_allowed(p)} | {p.doc} |")
    return "\n".join(rows)
