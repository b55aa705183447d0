"""What the replications say: bias, spread against standard errors, coverage, size, power, detectable effects.

Input: the stacked replication results of :func:`fedlocal.montecarlo.engine.run` (columns ``world``,
``replication``, ``policy``, ``group``, ``estimator``, ``estimate``, ``se``; optionally ``ci_low`` /
``ci_high`` for intervals that are not estimate +- z*se, e.g. few-cluster t or wild-bootstrap
intervals, ``p_value`` for tests that are not Wald z tests, and ``failed``), and the planted truth per
world x policy x group on the estimate's scale (log odds ratio): a frame with a ``truth`` column, or
the worlds themselves (see :func:`truth_frame`).

A fit has *failed* when ``failed`` is true, or the estimate or the standard error is missing, infinite
or (for the SE) not positive. Failed fits are counted (``n_failed``) and left out of every rate: a
rate is over the ``n_fits`` successful fits, and its Wilson 95% interval reflects that count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from fedlocal.montecarlo.engine import World

Z975 = float(norm.ppf(0.975))
Z80 = float(norm.ppf(0.80))
KEYS = ("world", "policy", "group", "estimator")


def truth_frame(worlds: Iterable[World]) -> pd.DataFrame:
    """The planted truth of each world as rows (world, policy, group, truth)."""
    rows = [(w.name, policy, group, float(value)) for w in worlds for (policy, group), value in w.truth.items()]
    return pd.DataFrame(rows, columns=["world", "policy", "group", "truth"])


def wilson_interval(successes, n, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion (NaN where n is 0)."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = float(norm.ppf(1 - (1 - level) / 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z ** 2 / n
        centre = (p + z ** 2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2)) / denom
    bad = ~(n > 0)
    return np.where(bad, np.nan, centre - half), np.where(bad, np.nan, centre + half)


def _failed(results: pd.DataFrame) -> np.ndarray:
    est = results["estimate"].to_numpy(dtype=float)
    se = results["se"].to_numpy(dtype=float)
    bad = ~np.isfinite(est) | ~np.isfinite(se) | ~(se > 0)
    if "failed" in results:
        bad |= results["failed"].fillna(False).to_numpy(dtype=bool)
    return bad


def summarize(results: pd.DataFrame, truth: pd.DataFrame | Iterable[World] | None = None, *,
              keys: Sequence[str] = KEYS, level: float = 0.95, alpha: float = 0.05) -> pd.DataFrame:
    """One row per ``keys`` cell (world x policy x group x estimator by default).

    Columns: truth; n_replications, n_failed, n_fits; mean_estimate, bias (mean estimate - truth) and
    its Monte Carlo standard error bias_mcse; sd_estimate, mean_se and sd_se_ratio (SD of the estimates
    / mean SE: above 1, the standard errors are too small); coverage of the ``level`` interval with its
    Wilson interval (coverage_low, coverage_high); rejection_rate of the two-sided test at ``alpha``
    with its Wilson interval, and ``test`` ("size" where the truth is 0, "power" elsewhere);
    mde_or_analytic = exp((z_0.975 + z_0.8) * mean_se), the odds ratio a Wald test would detect with
    80% power if the SEs were right (a cross-check on :func:`minimum_detectable`).
    """
    keys = list(keys)
    missing = [c for c in [*keys, "estimate", "se"] if c not in results]
    if missing:
        raise KeyError(f"results lack column(s) {missing}")
    frame = results.copy()
    if truth is not None:
        truth = truth if isinstance(truth, pd.DataFrame) else truth_frame(truth)
        on = [c for c in truth.columns if c != "truth" and c in keys]
        frame = frame.drop(columns=["truth"], errors="ignore").merge(truth[[*on, "truth"]], on=on, how="left")
    elif "truth" not in frame:
        frame["truth"] = np.nan

    z = float(norm.ppf(1 - (1 - level) / 2))
    z_test = float(norm.ppf(1 - alpha / 2))
    failed = _failed(frame)
    est = frame["estimate"].to_numpy(dtype=float)
    se = frame["se"].to_numpy(dtype=float)
    low = frame["ci_low"].to_numpy(dtype=float) if "ci_low" in frame else est - z * se
    high = frame["ci_high"].to_numpy(dtype=float) if "ci_high" in frame else est + z * se
    if "p_value" in frame:
        reject = frame["p_value"].to_numpy(dtype=float) < alpha
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            reject = np.abs(est / se) > z_test
    tru = frame["truth"].to_numpy(dtype=float)
    ok = ~failed
    frame = frame.assign(
        _ok=ok.astype(float),
        _est=np.where(ok, est, np.nan),
        _se=np.where(ok, se, np.nan),
        _cover=np.where(ok & np.isfinite(tru), ((low <= tru) & (tru <= high)).astype(float), np.nan),
        _reject=np.where(ok, reject.astype(float), np.nan),
    )
    grouped = frame.groupby(keys, sort=False, dropna=False)
    out = grouped.agg(truth=("truth", "first"), n_replications=("_ok", "size"), n_fits=("_ok", "sum"),
                      mean_estimate=("_est", "mean"), sd_estimate=("_est", "std"), mean_se=("_se", "mean"),
                      _covered=("_cover", "sum"), _n_cover=("_cover", "count"),
                      _rejected=("_reject", "sum")).reset_index()
    out["n_fits"] = out["n_fits"].astype(int)
    out["n_failed"] = out["n_replications"] - out["n_fits"]
    out["bias"] = out["mean_estimate"] - out["truth"]
    out["bias_mcse"] = out["sd_estimate"] / np.sqrt(out["n_fits"])
    out["sd_se_ratio"] = out["sd_estimate"] / out["mean_se"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["coverage"] = np.where(out["_n_cover"] > 0, out["_covered"] / out["_n_cover"], np.nan)
        out["rejection_rate"] = np.where(out["n_fits"] > 0, out["_rejected"] / out["n_fits"], np.nan)
    out["coverage_low"], out["coverage_high"] = wilson_interval(out["_covered"], out["_n_cover"])
    out["rejection_low"], out["rejection_high"] = wilson_interval(out["_rejected"], out["n_fits"])
    out["test"] = np.select([out["truth"] == 0, out["truth"].notna()], ["size", "power"], "")
    out["mde_or_analytic"] = np.exp((Z975 + Z80) * out["mean_se"])
    columns = [*keys, "truth", "n_replications", "n_failed", "n_fits", "mean_estimate", "bias", "bias_mcse",
               "sd_estimate", "mean_se", "sd_se_ratio", "coverage", "coverage_low", "coverage_high",
               "rejection_rate", "rejection_low", "rejection_high", "test", "mde_or_analytic"]
    return out[columns]


def _isotonic(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted pool-adjacent-violators: the closest non-decreasing sequence (for a noisy power curve)."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for value, weight in zip(y, w):
        blocks.append([value, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    return np.concatenate([np.full(c, m) for m, _, c in blocks])


def minimum_detectable(summary: pd.DataFrame, *, power: float = 0.8,
                       keys: Sequence[str] = ("policy", "group", "estimator")) -> pd.DataFrame:
    """The minimum detectable odds ratio per ``keys`` cell from the power curve over the planted grid.

    ``summary`` is :func:`summarize`'s output over the worlds of the grid (a null world and worlds
    planting increasing odds ratios; filter it first if other worlds should not count). For each cell
    the rejection rates are ordered by |planted log OR| (worlds with the same value pooled), made
    non-decreasing by weighted isotonic regression (weights: successful fits), and interpolated
    linearly on the log-OR scale to where they first reach ``power``. Columns: mde_log_or, mde_or
    (odds ratios below 1 when the grid plants negative effects), reached, mde (text: "1.72",
    "> 3.00" when the grid never reaches the power, "<= 1.10" when its smallest non-null point already
    does), grid_min_or, grid_max_or, n_worlds, and mde_or_analytic = exp((z_0.975 + z_0.8) * SE) with
    the mean SE of the cell's smallest |planted| world (the null world when the grid has one).
    """
    keys = list(keys)
    rows = []
    usable = summary[summary["truth"].notna() & summary["rejection_rate"].notna()]
    for cell, part in usable.groupby(keys, sort=False):
        cell = cell if isinstance(cell, tuple) else (cell,)
        x_all = np.abs(part["truth"].to_numpy(dtype=float))
        sign = -1.0 if (part["truth"] < 0).any() and not (part["truth"] > 0).any() else 1.0
        w_all = part["n_fits"].to_numpy(dtype=float)
        pooled = (pd.DataFrame({"x": x_all, "w": w_all, "k": part["rejection_rate"].to_numpy(float) * w_all,
                                "se": part["mean_se"].to_numpy(float) * w_all})
                  .groupby("x", sort=True).sum())
        x = pooled.index.to_numpy(dtype=float)
        w = pooled["w"].to_numpy()
        y = _isotonic(pooled["k"].to_numpy() / w, w)
        se0 = pooled["se"].iloc[0] / w[0]
        hit = np.flatnonzero(y >= power)
        if hit.size == 0:
            value, reached, text = np.nan, False, f"> {np.exp(x[-1]):.2f}"
        elif hit[0] == 0:
            value, reached = x[0], x[0] == 0
            text = f"{np.exp(sign * x[0]):.2f}" if reached else f"{'<=' if sign > 0 else '>='} {np.exp(sign * x[0]):.2f}"
        else:
            j = hit[0]
            value = x[j - 1] + (power - y[j - 1]) * (x[j] - x[j - 1]) / (y[j] - y[j - 1])
            reached, text = True, f"{np.exp(sign * value):.2f}"
        rows.append((*cell, sign * value, np.exp(sign * value), reached, text,
                     float(np.exp(sign * x.min())), float(np.exp(sign * x.max())), len(part),
                     float(np.exp((Z975 + Z80) * se0))))
    return pd.DataFrame(rows, columns=[*keys, "mde_log_or", "mde_or", "reached", "mde", "grid_min_or",
                                       "grid_max_or", "n_worlds", "mde_or_analytic"])


def shifted_power(results: pd.DataFrame, odds_ratios: Sequence[float], *, alpha: float = 0.05,
                  keys: Sequence[str] = ("policy", "group", "estimator")) -> pd.DataFrame:
    """Power at each odds ratio, approximated from replications of a world without effects (an approximation).

    ``results``: the null world's replications (estimate and SE on the log-odds scale; failed fits are left
    out). Two approximations per ``keys`` cell and odds ratio OR, with d = log(OR):

    * ``power_shift``: the share of replications with |b_i + d| / se_i > z_(1-alpha/2), i.e. the null
      world's estimates moved by d with their standard errors kept. It assumes that planting an effect
      moves every estimate by d and changes nothing else: it ignores that the between-within logit
      estimates a population-averaged odds ratio a little closer to 1 than the person-specific one
      planted (non-collapsibility), and that the standard error changes with the effect;
    * ``power_normal``: Phi(d / sd - z) + Phi(-d / sd - z) with sd the Monte Carlo standard deviation of
      the null estimates, the textbook normal approximation (it also assumes the SEs are right on average).

    Both are checked against the power simulated directly in a planted world (:func:`shift_check`).
    ``power_shift_low`` / ``_high``: the Wilson interval of the share (Monte Carlo error only).
    """
    keys = list(keys)
    ok = results.loc[~_failed(results)]
    z = float(norm.ppf(1 - alpha / 2))
    rows = []
    for cell, part in ok.groupby(keys, sort=False):
        cell = cell if isinstance(cell, tuple) else (cell,)
        b = part["estimate"].to_numpy(float)
        se = part["se"].to_numpy(float)
        sd = float(np.std(b, ddof=1)) if len(b) > 1 else np.nan
        d = np.log(np.asarray(odds_ratios, dtype=float))
        k = (np.abs(b[:, None] + d[None, :]) / se[:, None] > z).sum(axis=0)
        normal = norm.cdf(d / sd - z) + norm.cdf(-d / sd - z) if sd > 0 else np.full(len(d), np.nan)
        rows.append(pd.DataFrame({**{key: value for key, value in zip(keys, cell)}, "odds_ratio": np.exp(d),
                                  "n_fits": len(b), "power_shift": k / len(b), "_k": k, "power_normal": normal,
                                  "null_sd": sd}))
    columns = [*keys, "odds_ratio", "n_fits", "power_shift", "_k", "power_normal", "null_sd"]
    out = pd.concat(rows, ignore_index=True)[columns] if rows else pd.DataFrame(columns=columns)
    out["power_shift_low"], out["power_shift_high"] = wilson_interval(out.pop("_k"), out["n_fits"])
    return out


def shifted_mde(results: pd.DataFrame, *, power: float = 0.8, alpha: float = 0.05, max_or: float = 20.0,
                keys: Sequence[str] = ("policy", "group", "estimator")) -> pd.DataFrame:
    """The smallest odds ratio above 1 whose shifted power (:func:`shifted_power`) reaches ``power``, per cell.

    Searched on a grid of log odds ratios 0.001 apart up to ``max_or`` (``mde_or_shift`` is NaN beyond it);
    beside it ``mde_or_normal`` = exp((z_(1-alpha/2) + z_power) * sd), the normal approximation with the
    Monte Carlo SD of the null estimates (its lower tail ignored, as usual).
    """
    grid = np.exp(np.arange(0.0, np.log(max_or) + 1e-9, 0.001))
    curve = shifted_power(results, grid, alpha=alpha, keys=keys)
    z = float(norm.ppf(1 - alpha / 2)) + float(norm.ppf(power))
    rows = []
    for cell, part in curve.groupby(list(keys), sort=False):
        cell = cell if isinstance(cell, tuple) else (cell,)
        hit = np.flatnonzero(part["power_shift"].to_numpy() >= power)
        mde = float(part["odds_ratio"].iloc[hit[0]]) if hit.size else np.nan
        sd = float(part["null_sd"].iloc[0])
        rows.append((*cell, mde, float(np.exp(z * sd)) if np.isfinite(sd) else np.nan))
    return pd.DataFrame(rows, columns=[*keys, "mde_or_shift", "mde_or_normal"])


def shift_check(summary: pd.DataFrame, null_results: pd.DataFrame, world: str = "planted", *, alpha: float = 0.05,
                keys: Sequence[str] = ("policy", "group", "estimator")) -> pd.DataFrame:
    """The approximations of :func:`shifted_power` beside the power simulated directly where an effect is planted.

    ``summary``: :func:`summarize` output including ``world``'s planted cells (truth not 0). One row per
    planted cell: planted_or, the simulated power with its Wilson interval, power_shift and power_normal
    at the planted odds ratio, their differences from the simulated power, and ``shift_within`` (the
    shifted power lies inside the simulated power's 95% interval).
    """
    keys = list(keys)
    planted = summary.loc[(summary["world"] == world) & summary["truth"].notna() & (summary["truth"] != 0)]
    rows = []
    for r in planted.itertuples(index=False):
        cell = tuple(getattr(r, k) for k in keys)
        mask = np.logical_and.reduce([null_results[k].to_numpy() == v for k, v in zip(keys, cell)])
        approx = shifted_power(null_results.loc[mask], [float(np.exp(r.truth))], alpha=alpha, keys=keys)
        if approx.empty:
            continue
        a = approx.iloc[0]
        rows.append((*cell, float(np.exp(r.truth)), r.n_fits, r.rejection_rate, r.rejection_low, r.rejection_high,
                     a["power_shift"], a["power_normal"]))
    out = pd.DataFrame(rows, columns=[*keys, "planted_or", "n_fits", "power", "power_low", "power_high",
                                      "power_shift", "power_normal"])
    out["shift_minus_simulated"] = out["power_shift"] - out["power"]
    out["normal_minus_simulated"] = out["power_normal"] - out["power"]
    out["shift_within"] = (out["power_low"] <= out["power_shift"]) & (out["power_shift"] <= out["power_high"])
    return out


# the few-cluster size study (montecarlo.replicate.few_cluster_study): its two tests of the same fits
INFERENCE_ESTIMATORS = {"cluster": "hybrid_logit", "score_bootstrap": "hybrid_logit_score_bootstrap"}


def few_cluster_size(results: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Size of the clustered Wald test and of the score bootstrap per policy x group, from the null world.

    One row per policy x group x method: fits, rejections at ``alpha``, the rate and its Wilson 95% interval,
    and (from the bootstrap rows) the median effective number of clusters G* and the treated counties.
    """
    rows = []
    null = results.loc[results["world"] == "null"]
    boot = null.loc[null["estimator"] == INFERENCE_ESTIMATORS["score_bootstrap"]]
    clusters = boot.groupby(["policy", "group"]).agg(median_effective_clusters=("effective_clusters", "median"),
                                                     treated_counties=("treated_counties", "median"))
    for method, estimator in INFERENCE_ESTIMATORS.items():
        part = null.loc[null["estimator"] == estimator].copy()
        ok = ~_failed(part) & np.isfinite(part["p_value"].to_numpy(dtype=float))
        part = part.assign(_ok=ok, _reject=ok & (part["p_value"].to_numpy(dtype=float) < alpha))
        grouped = part.groupby(["policy", "group"], sort=False).agg(n_fits=("_ok", "sum"),
                                                                    rejections=("_reject", "sum")).reset_index()
        grouped.insert(2, "method", method)
        rows.append(grouped)
    out = pd.concat(rows, ignore_index=True)
    out["n_fits"] = out["n_fits"].astype(int)
    out["rejections"] = out["rejections"].astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["size"] = np.where(out["n_fits"] > 0, out["rejections"] / out["n_fits"], np.nan)
    out["size_low"], out["size_high"] = wilson_interval(out["rejections"], out["n_fits"])
    out = out.merge(clusters.reset_index(), on=["policy", "group"], how="left")
    return out


def choose_inference(size: pd.DataFrame, *, alpha: float = 0.05) -> tuple[str, pd.DataFrame]:
    """The few-cluster default: the method whose size is closer to ``alpha`` without over-rejecting.

    A method over-rejects in a cell when the cell's Wilson interval lies wholly above ``alpha``. Among the
    methods that over-reject in the fewest cells, the one with the smaller mean |size - alpha| over the
    cells is chosen. Returns the method and one row per method (cells over-rejecting, mean and largest
    size, mean distance from ``alpha``).
    """
    per = size.assign(_over=size["size_low"] > alpha, _dist=(size["size"] - alpha).abs())
    table = per.groupby("method", sort=False).agg(cells=("size", "size"), cells_over=("_over", "sum"),
                                                  mean_size=("size", "mean"), max_size=("size", "max"),
                                                  mean_distance=("_dist", "mean")).reset_index()
    table["cells_over"] = table["cells_over"].astype(int)
    best = table.sort_values(["cells_over", "mean_distance"], kind="stable").iloc[0]["method"]
    return str(best), table
