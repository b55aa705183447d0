"""The fitted models as tidy tables: within-person policy effects as odds ratios with 95% CIs."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from fedlocal import FedlocalError
from fedlocal.models.bootstrap import score_bootstrap
from fedlocal.models.clogit import Informative, fit_conditional_logit, informative_rows
from fedlocal.models.design import Design, hybrid_design, within_design
from fedlocal.models.inference import Fit
from fedlocal.models.logit import fit_logit, newton_fit
from fedlocal.models.mixed import fit_random_intercept
from fedlocal.vocab import FEW_CLUSTER_INFERENCE, GROUPS, POLICIES

Z = stats.norm.ppf(0.975)
JOINT_TEST = "latino = black = white"  # the comparison label of the joint equality test in group_differences
MIN_INFORMATIVE = 30  # fewer informative persons than this: the conditional logit is not attempted
# which persons enter the conditional logit: all with outcome variation (the default: persons whose exposure never
# changes still identify the year and covariate effects), or only those whose exposure also changes (the old rule)
CLOGIT_SAMPLES = ("outcome_varies", "exposure_changes")


def clogit_exposure(sample: str, exposure: np.ndarray) -> np.ndarray | None:
    """The exposure columns `informative_rows` should require to vary, for a named conditional-logit sample."""
    if sample not in CLOGIT_SAMPLES:
        raise FedlocalError(f"conditional-logit sample {sample!r}: expected one of {', '.join(CLOGIT_SAMPLES)}.")
    return exposure if sample == "exposure_changes" else None
# how the main tables' p_value is computed (run parameter few_cluster_inference): the clustered Wald test, or the
# wild cluster score bootstrap (models.bootstrap); both are in every table, p_cluster and p_bootstrap
INFERENCE_METHODS = FEW_CLUSTER_INFERENCE
FEW_CLUSTER_COLUMNS = ["p_cluster", "p_bootstrap", "bootstrap_weights", "bootstrap_draws", "effective_clusters",
                       "treated_counties", "inference"]
ESTIMATE_COLUMNS = ["model", "group", "policy", "estimate", "se", "odds_ratio", "ci_low", "ci_high", "p_value",
                    "persons", "interviews", "counties", "cluster", "weighted"]


def effect_row(est: float, se: float, **labels) -> dict:
    """A log-odds estimate as odds ratio, 95% CI and two-sided p-value (normal reference)."""
    p = float(2 * stats.norm.sf(abs(est / se))) if se > 0 and np.isfinite(se) else float("nan")
    return {**labels, "estimate": est, "se": se, "odds_ratio": float(np.exp(est)),
            "ci_low": float(np.exp(est - Z * se)), "ci_high": float(np.exp(est + Z * se)), "p_value": p}


def fit_hybrid(frame: pd.DataFrame, group: str | None = None, cluster: str = "county", survey_weights: bool = False,
               policies=POLICIES, pooled: bool = False) -> tuple[Fit, Design]:
    """One between-within logit (overall, one group, or pooled with group interactions)."""
    d = hybrid_design(frame, policies, group=group, pooled=pooled)
    fit = fit_logit(d.X, d.y, d.names, weights=d.weight if survey_weights else None, clusters=d.clusters(cluster))
    return fit, d


def bootstrap_seed(seed: int, group: str | None, policy: str) -> int:
    """The score bootstrap's seed for one policy x group cell: from the run's seed, independent of the order
    in which cells are fitted and of which other cells a table has."""
    cell = [GROUPS.index(group) + 1 if group in GROUPS else 0, POLICIES.index(policy) if policy in POLICIES else 99]
    return int(np.random.SeedSequence(int(seed), spawn_key=tuple(cell)).generate_state(1)[0])


def few_cluster_columns(fit: Fit, d: Design, policy: str, group: str | None, cluster: str, draws: int, seed: int,
                        inference: str) -> dict:
    """The score-bootstrap p-value of one within coefficient, its weights, G* and the treated counties.

    Weights by `bootstrap.weights_rule` (Webb where 12 or fewer counties carry the coefficient's variation).
    The restricted fit starts from the unrestricted estimates. Survey weights are not used by the bootstrap:
    it tests the unweighted model, the one the Monte Carlo size study judged.
    """
    if inference not in INFERENCE_METHODS:
        raise FedlocalError(f"few_cluster_inference {inference!r}: expected one of {', '.join(INFERENCE_METHODS)}.")
    name = f"{policy}_within"
    est, _ = fit.coef(name)
    if not np.isfinite(est):
        boot = None
    else:
        boot = score_bootstrap(d.X, d.y, d.names, name, d.clusters(cluster), draws=draws,
                               seed=bootstrap_seed(seed, group, policy), weights_kind="auto", start=fit.params)
    return {"p_bootstrap": boot.p_value if boot else float("nan"),
            "bootstrap_weights": boot.weights if boot else "",
            "bootstrap_draws": int(draws), "effective_clusters": boot.effective_clusters if boot else float("nan"),
            "treated_counties": boot.treated_clusters if boot else 0, "inference": inference}


def hybrid_estimates(frame: pd.DataFrame, cluster: str = "county", survey_weights: bool = False,
                     groups=(None,) + GROUPS, policies=POLICIES, bootstrap_draws: int = 0, seed: int = 0,
                     inference: str = "cluster") -> pd.DataFrame:
    """Within-person policy odds ratios of the between-within logit, overall and per group.

    With `bootstrap_draws` > 0 each row also has the few-cluster columns (FEW_CLUSTER_COLUMNS): the clustered
    Wald p-value (p_cluster), the wild cluster score bootstrap's (p_bootstrap, seeded per cell from `seed`),
    the effective number of clusters G* and the treated counties; `p_value` is the one `inference` names.
    """
    rows = []
    for g in groups:
        fit, d = fit_hybrid(frame, g, cluster, survey_weights, policies)
        for p in policies:
            est, se = fit.coef(f"{p}_within")
            row = effect_row(est, se, model="hybrid_logit", group=g or "all", policy=p, **d.counts,
                             cluster=cluster, weighted=survey_weights)
            if bootstrap_draws > 0:
                row.update(few_cluster_columns(fit, d, p, g, cluster, bootstrap_draws, seed, inference),
                           p_cluster=row["p_value"])
                if inference == "score_bootstrap":
                    row["p_value"] = row["p_bootstrap"]
            rows.append(row)
        del fit, d  # the next group's design is built without this one beside it
    return pd.DataFrame(rows, columns=ESTIMATE_COLUMNS + (FEW_CLUSTER_COLUMNS if bootstrap_draws > 0 else []))


def informative_subset(frame: pd.DataFrame, exposure: np.ndarray | None, group: str | None = None,
                       person_codes: np.ndarray | None = None) -> tuple[Informative, np.ndarray]:
    """Which rows of `frame` the conditional logit uses (persons with outcome and exposure variation).

    Found from the outcome, person and `exposure` (rows aligned with `frame`) alone, so that the design is
    then built on these rows only (under 1% of interviews) rather than on all of them. Returns the counts
    (over the group's rows) and a boolean mask aligned with `frame`. `person_codes`: factorized
    `person_id`, when the caller already has them.
    """
    mask = np.ones(len(frame), dtype=bool) if group is None else (frame["race_eth"] == group).to_numpy()
    if person_codes is None:
        person_codes = pd.factorize(frame["person_id"])[0]
    y = frame["violent"].to_numpy(dtype=float)
    if exposure is not None:  # None: outcome variation alone decides
        exposure = np.asarray(exposure, dtype=float).reshape(len(frame), -1)[mask]
    info = informative_rows(y[mask], person_codes[mask], exposure)
    rows = np.zeros(len(frame), dtype=bool)
    rows[mask] = info.keep_rows
    return info, rows


def conditional_estimates(frame: pd.DataFrame, cluster: str = "county", groups=(None,) + GROUPS,
                          policies=POLICIES, sample: str = "outcome_varies") -> pd.DataFrame:
    """Person fixed-effects logit on the persons whose outcome varies (`sample`: see CLOGIT_SAMPLES).

    Survey weights are not used: the conditional likelihood has no standard weighted form.
    """
    rows = []
    exposure = frame[list(policies)].to_numpy(dtype=float)
    person_codes = pd.factorize(frame["person_id"])[0]
    for g in groups:
        info, used = informative_subset(frame, clogit_exposure(sample, exposure), g, person_codes)
        d = within_design(frame, policies, group=g, rows=used)
        fit = None
        if info.persons_kept >= MIN_INFORMATIVE:
            fit = fit_conditional_logit(d.X, d.y, d.person, d.names, d.clusters(cluster))
        for p in policies:
            est, se = fit.coef(p) if fit is not None else (float("nan"), float("nan"))
            rows.append(effect_row(est, se, model="conditional_logit", group=g or "all", policy=p,
                                   persons=info.persons_kept, interviews=info.interviews_kept,
                                   counties=int(len(pd.unique(d.county))), cluster=cluster, weighted=False,
                                   persons_total=info.persons_total,
                                   persons_outcome_varies=info.persons_outcome_varies, sample=sample))
    return pd.DataFrame(rows)


def clogit_sample_comparison(kept: pd.DataFrame, narrow: pd.DataFrame) -> pd.DataFrame:
    """Conditional-logit odds ratios on every person with outcome variation beside the exposure-changers only.

    `kept` and `narrow` are `conditional_estimates` with sample "outcome_varies" and "exposure_changes".
    """
    cols = ["group", "policy", "persons", "odds_ratio", "ci_low", "ci_high", "p_value"]
    a = kept.loc[:, cols].rename(columns={c: f"{c}_outcome_varies" for c in cols[2:]})
    b = narrow.loc[:, cols].rename(columns={c: f"{c}_exposure_changes" for c in cols[2:]})
    return a.merge(b, on=["group", "policy"], how="outer", validate="one_to_one")


def group_differences(frame: pd.DataFrame, cluster: str = "county", survey_weights: bool = False,
                      policies=POLICIES) -> pd.DataFrame:
    """Pooled between-within logit with policy x group terms: is the effect different between groups?

    Each row is a ratio of within odds ratios (first group over second) with its Wald test, plus a joint
    test that the three groups share one effect.
    """
    fit, d = fit_hybrid(frame, None, cluster, survey_weights, policies, pooled=True)
    rows = []
    for p in policies:
        for a, b in (("latino", "white"), ("latino", "black"), ("black", "white")):
            est, se = fit.contrast({f"{p}_within:{a}": 1.0, f"{p}_within:{b}": -1.0})
            rows.append(effect_row(est, se, policy=p, comparison=f"{a} vs {b}"))
        # joint equality of latino, black, white: two independent contrasts
        r = np.zeros((2, len(fit.names)))
        r[0, fit.index(f"{p}_within:latino")], r[0, fit.index(f"{p}_within:white")] = 1, -1
        r[1, fit.index(f"{p}_within:black")], r[1, fit.index(f"{p}_within:white")] = 1, -1
        ok = ~np.isnan(fit.params)
        if np.all(r[:, ~ok] == 0):
            rb = r[:, ok] @ fit.params[ok]
            rv = r[:, ok] @ fit.vcov[np.ix_(ok, ok)] @ r[:, ok].T
            chi2 = float(rb @ np.linalg.solve(rv, rb))
            pj = float(stats.chi2.sf(chi2, 2))
        else:
            chi2, pj = float("nan"), float("nan")
        rows.append({"policy": p, "comparison": JOINT_TEST, "estimate": float("nan"),
                     "se": float("nan"), "odds_ratio": float("nan"), "ci_low": float("nan"),
                     "ci_high": float("nan"), "p_value": pj, "chi2": chi2})
    out = pd.DataFrame(rows)
    out = out.rename(columns={"odds_ratio": "or_ratio"})
    for k, v in d.counts.items():
        out[k] = v
    out["cluster"], out["weighted"] = cluster, survey_weights
    return out


def person_sample(frame: pd.DataFrame, persons: int, seed: int) -> pd.DataFrame:
    """All interviews of `persons` persons drawn at random (all persons when `persons` is 0 or at least their number)."""
    ids = pd.unique(frame["person_id"])
    if persons <= 0 or persons >= len(ids):
        return frame
    chosen = np.random.default_rng(seed).choice(ids, size=persons, replace=False)
    return frame.loc[frame["person_id"].isin(chosen)].reset_index(drop=True)


def random_intercept_comparison(frame: pd.DataFrame, persons: int, n_quad: int, seed: int, cluster: str = "county",
                                group: str | None = None, policies=POLICIES) -> tuple[pd.DataFrame, dict]:
    """The between-within design fitted twice on the same persons: pooled, and with a person random intercept (AGHQ).

    `persons`: a random sample of persons (0: all), because the random-intercept fit costs far more than the
    pooled one (benchmarks/mixed.py). Returns within-person odds ratios of both (model 'hybrid_logit' on the
    sample and 'random_intercept_logit') and a summary: the intercept's SD with its SE, the sample and the
    work each fit did (likelihood evaluations of Q-node passes over the rows, against Newton steps).
    """
    sample = person_sample(frame, persons, seed)
    d = hybrid_design(sample, policies, group=group)
    newton = newton_fit(d.X, d.y, np.ones(len(d.y)))  # one set of pooled iterations for both fits
    pooled = fit_logit(d.X, d.y, d.names, clusters=d.clusters(cluster), newton=newton)
    mixed = fit_random_intercept(d.X, d.y, d.person, d.names, clusters=d.clusters(cluster), n_quad=n_quad,
                                 pooled=newton, overwrite_X=True)  # d.X is not read again
    rows = []
    for model, fit in (("hybrid_logit", pooled), ("random_intercept_logit", mixed)):
        for p in policies:
            est, se = fit.coef(f"{p}_within")
            rows.append(effect_row(est, se, model=model, group=group or "all", policy=p, **d.counts, cluster=cluster,
                                   weighted=False))
    summary = {"persons": d.counts["persons"], "interviews": d.counts["interviews"],
               "persons_total": int(frame["person_id"].nunique()), "sd": mixed.sd, "sd_se": mixed.sd_se,
               "n_quad": n_quad, "evaluations": mixed.evaluations, "iterations": mixed.iterations,
               "converged": mixed.converged, "pooled_iterations": pooled.iterations,
               "loglik": mixed.loglik, "pooled_loglik": pooled.loglik}
    return pd.DataFrame(rows, columns=ESTIMATE_COLUMNS), summary
