"""One Monte Carlo replication of the paper's design: draw a synthetic NCVS panel, fit the main models.

:class:`NcvsReplication` is the ``replicate`` callable handed to :func:`fedlocal.montecarlo.engine.run`.
It holds the real inputs every replication shares (county covariates, policy spells) and, per call,
draws a panel at ``world.params["scale"]`` with the world's planted odds ratios (the same three steps
as stage 03: ``panel.draw_panel`` -> ``exposure.interviews.link_exposure`` -> ``outcomes.draw_outcomes``,
one generator seeded by the replication's SeedSequence), then fits the estimators of stage 04/05 per
group: the between-within (hybrid) logit and the conditional (person fixed-effects) logit. It returns
one row per policy x group x estimator with the log odds ratio, its SE and the fit's counts.

The truth a world plants is the person-specific log odds ratio; the hybrid logit estimates a
population-averaged one, slightly closer to 0 (non-collapsibility), which shows as a small negative
bias of that estimator in the planted worlds (the null world is unaffected). Issue 15 adds its
estimators (few-cluster and bootstrap inference) as further rows of this frame.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.linalg import LinAlgWarning

from fedlocal.exposure.interviews import link_exposure
from fedlocal.models import estimate
from fedlocal.models.design import prepare
from fedlocal.montecarlo.engine import STORE, MonteCarloRun, World, run
from fedlocal.synthetic import outcomes, panel, stress
from fedlocal.vocab import GROUPS, MONTE_CARLO_WORLDS, POLICIES

ESTIMATORS = ("hybrid_logit", "conditional_logit")  # the default study's (its hash: do not change)
# further estimator kinds a study may ask for (the few-cluster size study): the between-within logit's within
# coefficient tested by the wild cluster score bootstrap (models.bootstrap; p_value is the bootstrap's, the
# estimate and SE the hybrid logit's), with the effective number of clusters and the treated counties per row
BOOTSTRAP_ESTIMATOR = "hybrid_logit_score_bootstrap"
ESTIMATOR_KINDS = ESTIMATORS + (BOOTSTRAP_ESTIMATOR,)
BOOTSTRAP_COLUMNS = ["effective_clusters", "treated_counties", "bootstrap_weights"]
# Bump when the simulation or the estimators change what a replication returns: it is in every world's
# configuration hash, so a bump starts a new study instead of resuming a committed one made by other code.
# (tests/montecarlo/test_canonical_store.py recomputes a committed replication and fails when they differ.)
SIMULATION_VERSION = 1
# World parameters that only some worlds of a study have: they tell the worlds apart, not the study
WORLD_SPECIFIC = ("planted_odds_ratios", "stress")
WORLD_KINDS = MONTE_CARLO_WORLDS
STRESS_KEYS = ("county_year_sd", "pretrend_per_year", "time_in_sample_per_interview")
COLUMNS = ["policy", "group", "estimator", "estimate", "se", "p_value", "persons", "interviews"]


def world(name: str, planted_odds_ratios: dict | None, scale: float, *, exposure_rule: str = "any",
          county_sd: float = 0.25, person_sd: float = 0.8, first_year: int = 2005, last_year: int = 2014,
          cluster: str = "county", stress: dict | None = None) -> World:
    """A world of the synthetic NCVS: its parameters and its truth (log planted OR per policy x group;
    0 for every cell not planted). ``stress``: ``county_year_sd`` and/or ``pretrend_per_year`` of
    synthetic/stress.py; only worlds that have it carry the key, so the other worlds' hashes do not move."""
    planted = {p: {g: float(v) for g, v in row.items()} for p, row in (planted_odds_ratios or {}).items()}
    truth = {(p, g): math.log(planted.get(p, {}).get(g, 1.0)) for p in POLICIES for g in GROUPS}
    params = {"planted_odds_ratios": planted, "scale": float(scale), "exposure_rule": exposure_rule,
              "county_sd": float(county_sd), "person_sd": float(person_sd), "first_year": int(first_year),
              "last_year": int(last_year), "cluster": cluster}
    if stress:
        unknown = sorted(set(stress) - set(STRESS_KEYS))
        if unknown:
            raise ValueError(f"stress: unknown key(s) {unknown}; known: {', '.join(STRESS_KEYS)}")
        params["stress"] = {k: float(v) for k, v in sorted(stress.items())}
    return World(name, params, truth)


def grid_world_name(odds_ratio: float) -> str:
    """The folder name of a grid world that plants ``odds_ratio`` in every policy x group cell."""
    return f"grid-or-{odds_ratio:.3f}"


def grid_worlds(odds_ratios, scale: float, **options) -> list[World]:
    """One world per odds ratio of the power-curve grid, planted in every policy x group cell at once
    (the cells are fitted separately per group, so each group's power curve is read off the same draws)."""
    return [world(grid_world_name(o), {p: dict.fromkeys(GROUPS, float(o)) for p in POLICIES}, scale, **options)
            for o in odds_ratios]


def study_worlds(kinds, planted_odds_ratios: dict | None, or_grid, scale: float, *, stress: dict | None = None,
                 **options) -> list[World]:
    """The worlds of a study: ``null`` (no effect anywhere: size), ``planted`` (the run's planted odds
    ratios: power and coverage where it matters), ``grid`` (one world per odds ratio: the power curve),
    ``shocks`` (the planted odds ratios with county x year shocks: power and coverage when counties have
    bad years), ``pretrend`` (no effect, adopting counties trending differently before adoption: how often
    the tests flag an effect that is not there), ``harder`` (the planted odds ratios with every stressor at
    once: county x year shocks, the pre-trend of adopters and, when ``stress`` gives one, a time-in-sample
    decline of reporting). ``stress``: the calibrated ``county_year_sd`` and ``pretrend_per_year``
    (``synthetic.stress.calibrate``), needed by the last three; optional ``time_in_sample_per_interview``
    (only the ``harder`` world uses it, and only when it is not 0)."""
    unknown = [k for k in kinds if k not in WORLD_KINDS]
    if unknown:
        raise ValueError(f"unknown world kind(s) {unknown}; known: {', '.join(WORLD_KINDS)}")
    if ({"shocks", "pretrend", "harder"} & set(kinds)) and not stress:
        raise ValueError("world kinds 'shocks', 'pretrend' and 'harder' need the stress calibration "
                         "(synthetic.stress.calibrate)")
    out = []
    if "null" in kinds:
        out.append(world("null", None, scale, **options))
    if "planted" in kinds:
        out.append(world("planted", planted_odds_ratios, scale, **options))
    if "grid" in kinds:
        out.extend(grid_worlds(or_grid, scale, **options))
    if "shocks" in kinds:
        out.append(world("shocks", planted_odds_ratios, scale, stress={"county_year_sd": stress["county_year_sd"]},
                         **options))
    if "pretrend" in kinds:
        out.append(world("pretrend", None, scale, stress={"pretrend_per_year": stress["pretrend_per_year"]}, **options))
    if "harder" in kinds:
        out.append(world("harder", planted_odds_ratios, scale, stress=harder_stress(stress), **options))
    return out


def harder_stress(stress: dict) -> dict:
    """The stressors of the ``harder`` world: shocks and pre-trend as calibrated, plus the time-in-sample decline
    only when it is not 0 (so a world without it keeps the same hash whatever the default of that parameter)."""
    out = {"county_year_sd": stress["county_year_sd"], "pretrend_per_year": stress["pretrend_per_year"]}
    if stress.get("time_in_sample_per_interview"):
        out["time_in_sample_per_interview"] = stress["time_in_sample_per_interview"]
    return out


def spell_differences(pinned: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Counties whose policy spells (program, start, end, weight) differ between two codings: fips, programs."""
    cols = [c for c in ("fips", "program", "start", "end", "weight") if c in pinned.columns and c in current.columns]
    a = pinned[cols].astype(str).drop_duplicates()
    b = current[cols].astype(str).drop_duplicates()
    both = a.merge(b, on=cols, how="outer", indicator=True)
    changed = both.loc[both["_merge"] != "both"]
    out = changed.groupby("fips")["program"].agg(lambda p: ", ".join(sorted(set(p)))).reset_index()
    return out.rename(columns={"program": "programs"}).sort_values("fips").reset_index(drop=True)


def inputs_fingerprint(counties: pd.DataFrame, spells: pd.DataFrame) -> str:
    """A short hash of the real inputs every replication shares: a change in them starts a new study
    instead of mixing replications drawn from different counties or policy timelines."""
    h = hashlib.sha256()
    for frame in (counties, spells):
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        h.update("|".join(map(str, frame.columns)).encode())
    return h.hexdigest()[:16]


class NcvsReplication:
    """``replicate(world, seed)`` for the synthetic NCVS (picklable: it carries only data frames)."""

    def __init__(self, counties: pd.DataFrame, spells: pd.DataFrame, estimators=ESTIMATORS,
                 bootstrap_draws: int = 399):
        unknown = [e for e in estimators if e not in ESTIMATOR_KINDS]
        if unknown:
            raise ValueError(f"unknown estimator(s) {unknown}; known: {', '.join(ESTIMATOR_KINDS)}")
        self.counties, self.spells, self.estimators = counties, spells, tuple(estimators)
        self.bootstrap_draws = int(bootstrap_draws)

    def __call__(self, world: World, seed: np.random.SeedSequence) -> pd.DataFrame:
        with warnings.catch_warnings():
            # ill-conditioned fits of sparse cells end as a missing SE, which the summary counts as a failed fit
            warnings.simplefilter("ignore", LinAlgWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            return self._replicate(world, seed)

    def _replicate(self, world: World, seed: np.random.SeedSequence) -> pd.DataFrame:
        p = world.params
        rng = np.random.default_rng(seed)
        drawn = panel.draw_panel(self.counties, p["scale"], rng, first_year=p["first_year"], last_year=p["last_year"])
        interviews = drawn.interviews.join(link_exposure(drawn.interviews, self.spells, p["exposure_rule"]))
        extra = None
        if p.get("stress"):  # only stress worlds draw more random numbers: the others are unchanged
            extra = np.zeros(len(interviews))
            if p["stress"].get("county_year_sd"):
                extra += stress.county_year_effects(interviews["county_fips"], interviews["year"],
                                                    p["stress"]["county_year_sd"], rng)
            if p["stress"].get("pretrend_per_year"):
                extra += stress.pretrend_effects(interviews["county_fips"], interviews["interview_month"], self.spells,
                                                 p["stress"]["pretrend_per_year"])
            if p["stress"].get("time_in_sample_per_interview"):
                extra += stress.time_in_sample_effects(interviews["interview_number"],
                                                       p["stress"]["time_in_sample_per_interview"])
        interviews, _ = outcomes.draw_outcomes(drawn, interviews, self.counties, rng, p["planted_odds_ratios"],
                                               county_sd=p["county_sd"], person_sd=p["person_sd"],
                                               extra_log_odds=extra)
        frame = prepare(interviews, self.counties)
        del interviews, drawn
        parts = []
        boot = BOOTSTRAP_ESTIMATOR in self.estimators
        if boot:  # its seed: drawn after the panel, so the panel is the one the other estimators see
            boot_seed = int(rng.integers(2 ** 63 - 1))
        if "hybrid_logit" in self.estimators or boot:
            fits = estimate.hybrid_estimates(frame, cluster=p["cluster"], groups=GROUPS,
                                             bootstrap_draws=self.bootstrap_draws if boot else 0,
                                             seed=boot_seed if boot else 0)
            if "hybrid_logit" in self.estimators:
                parts.append(fits[estimate.ESTIMATE_COLUMNS])
            if boot:  # the same fits, tested by the bootstrap
                parts.append(fits.assign(model=BOOTSTRAP_ESTIMATOR, p_value=fits["p_bootstrap"]))
        if "conditional_logit" in self.estimators:
            parts.append(estimate.conditional_estimates(frame, cluster=p["cluster"], groups=GROUPS))
        fits = pd.concat(parts, ignore_index=True)
        out = fits.rename(columns={"model": "estimator"})
        return out[COLUMNS + (BOOTSTRAP_COLUMNS if boot else [])].reset_index(drop=True)


def run_study(counties: pd.DataFrame, spells: pd.DataFrame, worlds: list[World], replications: int,
              run_dir: str | Path, *, engine: str = "serial", workers: int | None = None, base_seed: int = 20230417,
              estimators=ESTIMATORS, log=None, committed: str | Path | None = None,
              bootstrap_draws: int = 399) -> MonteCarloRun:
    """Run (or resume) the study: ``replications`` per world through the engine (``log``: the engine's
    progress lines, to stderr by default; False for none).

    Replications are saved under ``run_dir/<key>/<world>/``, where ``key`` hashes what the replications of
    every world depend on (inputs, estimators, SIMULATION_VERSION, seed, scale and the other options all
    worlds share, the planted world's odds ratios), not which worlds the study has: the same study resumes
    (a grid world more, a longer grid or more replications extend it), a changed one starts in a folder of
    its own instead of being refused by the engine. After a run without failures each world's replications
    are one ``replications.parquet`` (the engine's compact store), the file the canonical study commits:
    a rerun, in a fresh clone too, reads it instead of fitting again. ``committed``: the canonical run's
    replication folder; a run into another folder (a variant run, ``fedlocal reproduce``) starts from the
    committed store of the same study there (its configuration hash is checked as for any resumed file).
    """
    replicate = NcvsReplication(counties, spells, estimators, bootstrap_draws)
    config = study_config(counties, spells, estimators, bootstrap_draws)
    key = study_key(config, worlds, base_seed)
    folder = Path(run_dir) / key
    if committed is not None and (Path(committed) / key).resolve() != folder.resolve():
        for w in worlds:  # a run folder of its own (a variant, a reproduce) starts from the committed study
            source, target = Path(committed) / key / w.name / STORE, folder / w.name / STORE
            if source.is_file() and not target.exists() and not any((folder / w.name).glob("rep-*.parquet")):
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
    kwargs = {} if log is None else {"log": log or None}  # log=False: silent
    return run(replicate, worlds, replications, folder, engine=engine, workers=workers, base_seed=base_seed,
               config=config, compact=True, **kwargs)


def study_config(counties: pd.DataFrame, spells: pd.DataFrame, estimators=ESTIMATORS,
                 bootstrap_draws: int = 399) -> dict:
    """The engine's ``config`` of a study: estimators, the shared inputs' fingerprint, SIMULATION_VERSION (and
    the bootstrap's draws, only in a study that has the bootstrap estimator: the default study's hash stays)."""
    config = {"estimators": list(estimators), "inputs": inputs_fingerprint(counties, spells),
              "simulation": SIMULATION_VERSION}
    if BOOTSTRAP_ESTIMATOR in estimators:
        config["bootstrap_draws"] = int(bootstrap_draws)
    return config


def study_key(config: dict, worlds: list[World], base_seed: int) -> str:
    """The study's folder name: a hash of the config, the seed, the options all worlds share and the planted
    world's odds ratios (12 hex digits)."""
    shared = [k for k in world("shared", None, 1.0).params if k not in WORLD_SPECIFIC]
    common = {json.dumps({k: w.params.get(k) for k in shared}, sort_keys=True) for w in worlds}
    planted = [w.params["planted_odds_ratios"] for w in worlds if w.name == "planted"]
    return hashlib.sha256(json.dumps({"config": config, "base_seed": int(base_seed), "common": sorted(common),
                                      "planted": planted}, sort_keys=True).encode()).hexdigest()[:12]


FEW_CLUSTER_ESTIMATORS = ("hybrid_logit", BOOTSTRAP_ESTIMATOR)
FEW_CLUSTER_STORE = "montecarlo-few-cluster"
# bootstrap draws per test in the size study: alpha * (B + 1) = 20 is whole for a 5% test (the bootstrap test
# is then exact for exchangeable draws); the draws add a binomial error of about 0.011 to a p-value near 0.05
SIZE_STUDY_DRAWS = 399  # the size study's folder beside montecarlo-replications


def few_cluster_study(counties: pd.DataFrame, spells: pd.DataFrame, replications: int, run_dir: str | Path, *,
                      scale: float, bootstrap_draws: int = SIZE_STUDY_DRAWS, engine: str = "serial", workers: int | None = None,
                      base_seed: int = 20230417, log=None, committed: str | Path | None = None,
                      **options) -> MonteCarloRun:
    """The size study of the few-cluster inference: the null world only, the between-within logit per group
    with its clustered Wald p-value and its score-bootstrap p-value (``bootstrap_draws`` per test) on the
    same fits. A study of its own (its estimator list and draws are in its hash), so the default study's
    store is untouched. ``options``: the world options of :func:`world` (exposure rule, SDs, years, cluster)."""
    worlds = [world("null", None, scale, **options)]
    return run_study(counties, spells, worlds, replications, run_dir, engine=engine, workers=workers,
                     base_seed=base_seed, estimators=FEW_CLUSTER_ESTIMATORS, log=log, committed=committed,
                     bootstrap_draws=bootstrap_draws)
