"""Odds-ratio axes read as plain numbers (0.5, 1, 2), never as 6x10^-1, in every figure that draws one."""

import matplotlib
import numpy as np
import pandas as pd

from fedlocal.report import figures
from fedlocal.vocab import POLICIES

matplotlib.use("Agg")


def _labels(axis):
    axis.figure.canvas.draw()
    major = [t.get_text() for t in axis.get_ticklabels(which="major") if t.get_text()]
    minor = [t.get_text() for t in axis.get_ticklabels(which="minor") if t.get_text()]
    return major, minor


def test_specification_figure_labels_odds_ratios_plainly():
    rows = []
    for label, shift in (("This run", 1.0), ("Alternative", 1.1)):
        for p, centre in zip(POLICIES, (0.9, 1.6, 0.7, 0.9)):
            for g in ("all", "latino"):
                rows.append({"label": label, "model": "hybrid_logit", "policy": p, "group": g,
                             "odds_ratio": centre * shift, "ci_low": centre * shift * 0.75,
                             "ci_high": centre * shift * 1.3, "source": "synthetic"})
    fig = figures.specification_odds_ratios(pd.DataFrame(rows))
    for ax in fig.axes[:len(POLICIES)]:
        major, minor = _labels(ax.xaxis)
        assert minor == [], minor
        assert major and all(np.isfinite(float(t)) for t in major), major  # "6 x 10^-1" would not parse
