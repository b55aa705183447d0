"""What the few-cluster size study says (stage 07): size of the clustered Wald test and of the score bootstrap
per policy x group with Wilson intervals, the default it implies, and the numbers the manuscript quotes.

Input: ``montecarlo.summary.few_cluster_size`` and ``choose_inference`` over the study's null world.
"""

from __future__ import annotations

import pandas as pd

from fedlocal.report.formatting import fmt_int, fmt_num, fmt_pct
from fedlocal.vocab import GROUP_LABELS, POLICY_LABELS

METHOD_LABELS = {"cluster": "clustered Wald", "score_bootstrap": "score bootstrap"}


def _rate(rate, low, high) -> str:
    return f"{fmt_pct(rate)}% ({fmt_pct(low)}–{fmt_pct(high)})"


def size_display(size: pd.DataFrame, replications: int, scale: float, main_null: pd.DataFrame | None = None,
                 main_scale: float | None = None) -> pd.DataFrame:
    """Policies x groups by rows; per method the rejection rate of a true null at 5% with its Wilson 95%
    interval; the treated counties and the median G*. ``main_null``: the main study's null-world summary
    (``montecarlo.summary.summarize``), whose clustered between-within size at ``main_scale`` is set beside."""
    wide = size.pivot(index=["policy", "group"], columns="method")
    rows = []
    for (policy, group) in size[["policy", "group"]].drop_duplicates().itertuples(index=False):
        r = wide.loc[(policy, group)]
        row = {"Policy": POLICY_LABELS[policy], "Group": GROUP_LABELS[group],
               "Treated counties": fmt_int(r[("treated_counties", "score_bootstrap")]),
               "Median G*": fmt_num(r[("median_effective_clusters", "score_bootstrap")], 1)}
        for method, label in METHOD_LABELS.items():
            row[f"Size, {label} (%)"] = _rate(r[("size", method)], r[("size_low", method)], r[("size_high", method)])
        if main_null is not None:
            m = main_null.loc[(main_null["world"] == "null") & (main_null["estimator"] == "hybrid_logit")
                              & (main_null["policy"] == policy) & (main_null["group"] == group)]
            row[f"Size, clustered Wald, main study at scale {main_scale:g} (%)"] = (
                _rate(m["rejection_rate"].iloc[0], m["rejection_low"].iloc[0], m["rejection_high"].iloc[0])
                if len(m) else "–")
        rows.append(row)
    display = pd.DataFrame(rows)
    display["Panels"] = f"{replications} at scale {scale:g}"
    return display


def variables(size: pd.DataFrame, choice: pd.DataFrame, chosen: str, default: str, replications: int,
              scale: float, draws: int) -> dict:
    """The size study's numbers: per method the mean and largest size and the cells that over-reject, per
    cell both sizes; the method the rule chooses and whether the run's default is that method."""
    out = {"fc_replications": int(replications), "fc_scale": fmt_num(scale, 2), "fc_draws": int(draws),
           "fc_chosen": METHOD_LABELS[chosen], "fc_default": METHOD_LABELS[default],
           "fc_default_is_chosen": "yes" if chosen == default else "no", "fc_cells": int(choice["cells"].iloc[0])}
    for r in choice.itertuples():
        key = "cluster" if r.method == "cluster" else "boot"
        out[f"fc_{key}_mean_size"] = fmt_pct(r.mean_size)
        out[f"fc_{key}_max_size"] = fmt_pct(r.max_size)
        out[f"fc_{key}_cells_over"] = int(r.cells_over)
    for r in size.itertuples():
        key = "cluster" if r.method == "cluster" else "boot"
        out[f"fc_{r.policy}_{r.group}_{key}_size"] = fmt_pct(r.size)
    return out
