"""Figures draw from hand-built results, including the restricted-data cases (groups absent, nothing planted)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from fedlocal.report import figures, setup_matplotlib  # noqa: E402
from fedlocal.vocab import POLICIES, POLICY_LABELS  # noqa: E402


def estimates():
    return pd.DataFrame([{"policy": p, "group": g, "odds_ratio": 1.2, "ci_low": 0.9, "ci_high": 1.6}
                         for p in POLICIES for g in ("all", "latino")])


def test_forest_marks_planted_values_only_when_there_are_some():
    planted = pd.DataFrame({"policy": ["sc"], "group": ["latino"], "planted": [1.5]})
    with_plant = figures.forest(estimates(), planted, "t")
    assert with_plant.axes[0].get_legend() is not None
    for nothing in (None, pd.DataFrame(columns=["policy", "group", "planted"])):
        fig = figures.forest(estimates(), nothing, "t")
        assert fig.axes[0].get_legend() is None
        plt.close(fig)
    plt.close(with_plant)


def test_sample_figures_name_the_source_and_tolerate_absent_groups():
    exposed = pd.DataFrame({p: [0.1, 0.5] for p in POLICIES}, index=[2010, 2011])
    fig = figures.exposure_by_year(exposed, "any", "synthetic")
    assert fig.axes[0].get_title() == "Share of synthetic NCVS interviews exposed to each policy"
    plt.close(fig)
    targets = pd.DataFrame({"year": [2010, 2011], "target_prevalence": [0.006, 0.0055]})
    prevalence = pd.Series([0.006, 0.005], index=[2010, 2011])
    by_group = pd.DataFrame({"latino": [0.007, 0.006], "black": [0.008, 0.007]}, index=[2010, 2011])  # no white, other
    fig = figures.prevalence_by_year(targets, prevalence, by_group, "restricted")
    assert fig.axes[0].get_title().endswith("(restricted NCVS)")
    plt.close(fig)


def test_event_time_figure_without_estimates_says_so():
    fig = figures.event_time_figure(pd.DataFrame(), "t")
    assert "no event-time terms" in fig.axes[0].texts[0].get_text()
    plt.close(fig)


def _overlapping_labels(fig) -> list[tuple[str, str]]:
    """Pairs of axis labels and panel titles whose drawn boxes overlap."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t for ax in fig.axes for t in (ax.xaxis.label, ax.yaxis.label, ax.title) if t.get_text()]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    return [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1:] if box_a.overlaps(box_b)]


def test_event_time_panels_labels_do_not_run_into_each_other():
    setup_matplotlib()
    steps = np.arange(-6, 7)
    coefs = pd.DataFrame([{"policy": p, "event_time": t, "odds_ratio": 1.0, "ci_low": 0.8, "ci_high": 1.25}
                          for p in POLICY_LABELS for t in steps])
    fig = figures.event_time_figure(coefs, "event time")
    assert _overlapping_labels(fig) == []
    assert [ax.get_xlabel() for ax in fig.axes if ax.get_xlabel()] == ["6-month steps from start"] * 2


def test_police_event_study_has_whole_year_ticks_and_separate_labels():
    setup_matplotlib()
    events = {p: pd.DataFrame({"event_time": t, "estimate": 0.0, "ci_low": -0.1, "ci_high": 0.1})
              for p, t in (("sc", np.arange(-6, 3)), ("antidetainer", np.arange(-11, 4)))}
    fig = figures.police_crime_event_study(events)
    fig.canvas.draw()
    for ax in fig.axes:
        ticks = ax.get_xticks()
        assert np.allclose(ticks, np.round(ticks)), f"{ax.get_title()}: ticks between years {ticks}"
    assert _overlapping_labels(fig) == []
