"""Readers see full labels: no displayed table or figure legend shows the internal policy codes (sc, jem, tfm)."""

from __future__ import annotations

import re

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from fedlocal import paths  # noqa: E402
from fedlocal.manuscript import scan  # noqa: E402
from fedlocal.manuscript.project import ARTICLE  # noqa: E402
from fedlocal.report import figures, tables  # noqa: E402
from fedlocal.vocab import POLICIES, RACE_ETH  # noqa: E402

CODES = re.compile(r"(?<![\w-])(sc|jem|tfm|antidetainer|any_287g)(?![\w-])")


def test_policy_label_replaces_a_leading_code_only():
    assert tables.policy_label("sc") == "Secure Communities"
    assert tables.policy_label("sc adoption") == "Secure Communities adoption"
    assert tables.policy_label("any_287g") == "Any 287(g) agreement"
    assert tables.policy_label("Secure Communities") == "Secure Communities"


# The tables the paper shows (machine-readable summaries such as montecarlo-summary.md keep their codes).
DISPLAYED = [paths.ROOT / p.lstrip("/") for p in scan.included_paths(ARTICLE.read_text()) if p.startswith("/tables/")]


def test_the_paper_displays_tables():
    assert len(DISPLAYED) >= 10 and all(p.is_file() for p in DISPLAYED), DISPLAYED


@pytest.mark.parametrize("md", DISPLAYED, ids=lambda p: p.name)
def test_no_displayed_table_shows_a_policy_code(md):
    found = CODES.findall(md.read_text())
    assert not found, f"{md.name} shows policy codes {sorted(set(found))}: label them with vocab.POLICY_LABELS"


def test_figure_legends_use_full_labels():
    years = [2010, 2011]
    exposed = pd.DataFrame({p: [0.1, 0.2] for p in POLICIES}, index=years)
    by_group = pd.DataFrame({g: [0.01, 0.02] for g in RACE_ETH}, index=years)
    targets = pd.DataFrame({"year": years, "target_prevalence": [0.01, 0.012]})
    for fig in (figures.exposure_by_year(exposed, "any", "synthetic"),
                figures.prevalence_by_year(targets, by_group.mean(axis=1), by_group, "synthetic")):
        legend = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
        assert legend and not [t for t in legend if CODES.search(t)], legend


def test_group_comparisons_use_full_group_labels():
    differences = pd.DataFrame({"policy": ["sc", "sc"], "comparison": ["latino vs white", "latino = black = white"],
                                "or_ratio": [1.1, float("nan")], "ci_low": [0.8, float("nan")],
                                "ci_high": [1.5, float("nan")], "p_value": [0.6, 0.06]})
    shown = tables.group_differences(differences, "synthetic")
    assert list(shown["Comparison"]) == ["Latino vs Non-Latino white", "Latino = Non-Latino Black = Non-Latino white"]
    assert shown["Ratio of odds ratios (95% CI)"].iloc[1] == ""  # the joint test has no ratio
