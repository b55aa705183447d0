"""The disclosure rules (Census Bureau DRB rounding, suppression, implicit samples) on hand-built values and frames."""

import math

import numpy as np
import pandas as pd
import pytest

from fedlocal.report import disclosure as d

# every edge of the DRB count schedule, and ties (rounded half to even on the multiple)
SCHEDULE = [
    (15, 20), (24, 20), (25, 20), (26, 30), (35, 40), (94, 90), (95, 100), (99, 100),
    (100, 100), (124, 100), (125, 100), (126, 150), (175, 200), (999, 1000),
    (1000, 1000), (1049, 1000), (1050, 1000), (1150, 1200), (9949, 9900), (9950, 10000), (9999, 10000),
    (10000, 10000), (10249, 10000), (10250, 10000), (10750, 11000), (99749, 99500), (99999, 100000),
    (100000, 100000), (100499, 100000), (100500, 100000), (101500, 102000), (999499, 999000), (999999, 1000000),
    (1000000, 1000000), (1000499, 1000000), (1000500, 1000000), (1001500, 1002000), (1234567, 1235000),
    (1234500, 1234000), (1235500, 1236000), (12345678, 12350000), (99995000, 100000000),
]


@pytest.mark.parametrize("n, rounded", SCHEDULE)
def test_counts_are_rounded_on_the_drb_schedule(n, rounded):
    assert d.round_count(n) == rounded
    assert d.round_count(np.int64(n)) == rounded and d.round_count(float(n)) == rounded


@pytest.mark.parametrize("n, rule", [
    (15, "count 15-99: nearest 10"), (99, "count 15-99: nearest 10"), (100, "count 100-999: nearest 50"),
    (999, "count 100-999: nearest 50"), (1000, "count 1,000-9,999: nearest 100"),
    (9999, "count 1,000-9,999: nearest 100"), (10000, "count 10,000-99,999: nearest 500"),
    (99999, "count 10,000-99,999: nearest 500"), (100000, "count 100,000-999,999: nearest 1,000"),
    (999999, "count 100,000-999,999: nearest 1,000"), (1000000, "count 1,000,000 or more: 4 significant digits"),
    (14, d.RULE_BELOW_MIN), (0, d.RULE_BELOW_MIN),
])
def test_the_rule_named_for_each_band(n, rule):
    assert d.count_rule(n) == rule


@pytest.mark.parametrize("n", [0, 1, 14])
def test_counts_below_15_are_not_released(n):
    with pytest.raises(d.DisclosureError, match="below 15"):
        d.round_count(n)
    rel = d.release_count(n)
    assert rel.shown == "<15" and rel.withheld and rel.value is None


@pytest.mark.parametrize("bad", [-1, 15.5, float("nan"), float("inf"), "20", True])
def test_a_count_must_be_a_whole_number(bad):
    with pytest.raises(d.DisclosureError, match="not an unweighted count"):
        d.round_count(bad)


@pytest.mark.parametrize("x, digits, expected", [
    (1000.5, 4, 1000.0), (1001.5, 4, 1002.0), (1234.5, 4, 1234.0), (1235.5, 4, 1236.0),  # exact ties: to even
    (2.5, 1, 2.0), (3.5, 1, 4.0),
    (0.000123456, 4, 0.0001235), (123456789, 4, 123500000.0), (-2.718281828, 4, -2.718),
    (0.1235, 4, 0.1235), (9999.5, 4, 10000.0), (1.0, 4, 1.0), (0.5, 4, 0.5), (12.344999, 4, 12.34),
])
def test_estimates_keep_four_significant_digits(x, digits, expected):
    assert d.round_sig(x, digits) == expected


def test_round_sig_leaves_zero_and_non_finite_alone():
    assert d.round_sig(0.0) == 0.0 and d.round_sig(float("inf")) == float("inf")
    assert math.isnan(d.round_sig(float("nan")))


def test_at_most_four_significant_digits_survive():
    rng = np.random.default_rng(17)
    for x in rng.lognormal(0, 6, 500) * rng.choice([-1, 1], 500):
        r = d.round_sig(x)
        assert float(f"{r:.3e}") == r, (x, r)  # r is the float nearest a 4-significant-digit decimal
        assert abs(r - x) <= 0.5e-3 * abs(x) * 10  # within half a unit of the fourth digit


@pytest.mark.parametrize("n, reason", [(15, None), (1_000_000, None), (14, "fewer than 15"), (0, "fewer than 15"),
                                       (None, "unknown"), (float("nan"), "unknown")])
def test_suppression_reason(n, reason):
    got = d.suppression_reason(n)
    assert got is None if reason is None else reason in got


def _table():
    return pd.DataFrame({
        "group": ["Latino", "Black", "White", "Other"],
        "year": [2005, 2005, 2006, 2006],
        "n": [1234, 14, 20551, 15],
        "victims": [37, 2, 512, 0],
        "prevalence": [0.0299838, 0.142857, 0.02491363, np.nan],
        "weighted": [1234567.89, 98765.4, 3.0e7, 1.0],
    })


def test_protect_table_rounds_suppresses_and_records_every_cell():
    p = d.protect_table(_table(), name="sample-by-group", estimates=["prevalence", "weighted"], counts=["victims"],
                        n="n", labels=["year"])
    t = p.table
    assert list(t["n"]) == [1200, "<15", 20500, 20]
    assert list(t["victims"]) == [40, "<15", 500, "<15"]
    assert t.loc[0, "prevalence"] == 0.02998 and t.loc[2, "prevalence"] == 0.02491 and pd.isna(t.loc[3, "prevalence"])
    assert t.loc[1, "prevalence"] == "suppressed (N<15)" and t.loc[1, "weighted"] == "suppressed (N<15)"
    assert list(t["weighted"])[::2] == [1235000.0, 30000000.0] and t.loc[3, "weighted"] == 1.0
    assert list(t["group"]) == list(_table()["group"]) and list(t["year"]) == [2005, 2005, 2006, 2006]
    # the input is not changed
    assert _table().equals(_table()) and p.table is not None and _table()["n"].tolist() == [1234, 14, 20551, 15]

    c = p.cells
    assert len(c) == 4 * 4 and set(c["output"]) == {"sample-by-group"}
    latino_prev = c[(c["row"] == "group=Latino; year=2005") & (c["column"] == "prevalence")].iloc[0]
    assert latino_prev["n_unweighted"] == 1234 and latino_prev["rule"] == d.RULE_ESTIMATE
    assert latino_prev["original"] == pytest.approx(0.0299838) and latino_prev["released"] == 0.02998
    black = c[c["row"] == "group=Black; year=2005"]
    assert black["withheld"].all() and set(black["n_unweighted"]) == {14, 2}
    assert "fewer than 15" in black.loc[black["column"] == "prevalence", "rule"].iloc[0]
    other_victims = c[(c["column"] == "victims") & (c["row"] == "group=Other; year=2006")].iloc[0]
    assert other_victims["rule"] == d.RULE_BELOW_MIN and other_victims["released"] == "<15"
    missing = c[(c["column"] == "prevalence") & (c["row"] == "group=Other; year=2006")].iloc[0]
    assert missing["rule"] == d.RULE_MISSING and not missing["withheld"]


def test_estimates_take_their_own_n_and_the_n_can_stay_unreleased():
    df = pd.DataFrame({"model": ["all", "latino"], "or_sc": [1.0412345, 0.87654321], "n_all": [1_000_123, 14],
                       "n_latino": [140_321, 16]})
    p = d.protect_table(df, name="main-estimates", estimates=["or_sc"], n={"or_sc": "n_latino"}, labels=["n_all"],
                        keep_n=False)
    assert "n_latino" not in p.table.columns and list(p.table["or_sc"]) == [1.041, 0.8765]
    assert list(p.cells["n_unweighted"]) == [140_321, 16] and list(p.cells["kind"]) == ["estimate", "estimate"]


def test_a_higher_minimum_for_estimates():
    df = pd.DataFrame({"g": ["a"], "n": [40], "rate": [0.25]})
    p = d.protect_table(df, name="t", estimates=["rate"], n="n", min_n=50)
    assert p.table.loc[0, "rate"] == "suppressed (N<50)" and p.table.loc[0, "n"] == 40


@pytest.mark.parametrize("kwargs, message", [
    (dict(estimates=["prevalence"], counts=["victims"], labels=["year"]), "need the unweighted N"),
    (dict(estimates=["prevalence"], n="n", labels=["year"]), r"\['victims', 'weighted'\] are not declared"),
    (dict(estimates=["prevalence", "weighted"], counts=["victims"], n="n"), r"\['year'\] are not declared"),
    (dict(estimates=["nope"], n="n"), "not in the table"),
    (dict(estimates=["prevalence", "weighted"], counts=["victims", "prevalence"], n="n", labels=["year"]),
     "both as estimates"),
    (dict(estimates=["prevalence", "weighted"], n={"prevalence": "n"}, counts=["victims"], labels=["year"]),
     r"no unweighted N column given for estimate column\(s\) \['weighted'\]"),
])
def test_undeclared_or_inconsistent_columns_are_refused(kwargs, message):
    with pytest.raises(d.DisclosureError, match=message):
        d.protect_table(_table(), name="t", **kwargs)


def test_a_weighted_count_declared_as_a_count_is_refused():
    df = pd.DataFrame({"g": ["a"], "persons": [1234.56]})
    with pytest.raises(d.DisclosureError, match="declare weighted counts .* as estimates"):
        d.protect_table(df, name="t", counts=["persons"])


def _samples(rows):
    return pd.DataFrame(rows, columns=["output", "cell", "n"])


def test_implicit_samples_flags_small_nonzero_differences_only():
    s = _samples([
        ("main-estimates", "all", 10_000), ("robustness", "drop 2005", 9_993), ("sample-by-year", "2005", 7),
        ("subgroups", "latino", 10_014), ("subgroups", "black", 10_015), ("sample-by-year", "total", 10_000),
        ("far", "x", 50_000),
    ])
    flagged = d.implicit_samples(s)
    pairs = {(r.cell_a, r.cell_b, r.difference) for r in flagged.itertuples()}
    # 10,000 - 9,993 = 7; 10,014 - 10,000 = 14; 10,015 - 10,014 = 1; equal samples (difference 0) are not flagged;
    # 10,015 - 10,000 = 15 and 10,014 - 9,993 = 21 are not small
    assert pairs == {("drop 2005", "all", 7), ("drop 2005", "total", 7), ("all", "latino", 14),
                     ("total", "latino", 14), ("latino", "black", 1)}
    assert list(flagged["difference"]) == sorted(flagged["difference"])
    assert (flagged["n_b"] - flagged["n_a"] == flagged["difference"]).all()


@pytest.mark.parametrize("gap, flagged", [(1, True), (14, True), (15, False), (0, False)])
def test_implicit_sample_boundary(gap, flagged):
    s = _samples([("a", "x", 5_000), ("b", "y", 5_000 + gap)])
    assert len(d.implicit_samples(s)) == int(flagged)
    assert len(d.implicit_samples(s, min_n=gap + 1)) == int(gap > 0)


def test_samples_come_from_released_cells_only():
    p = d.protect_table(_table(), name="t", estimates=["prevalence", "weighted"], counts=["victims"], n="n",
                        labels=["year"])
    s = p.samples()
    assert set(s["n"]) == {1234, 37, 20551, 512, 15}  # the Black row (N=14) and zero victims are withheld
    assert not s.duplicated(["cell"]).any() and set(s["output"]) == {"t"}


def test_review_bundle_lists_outputs_cells_ns_rules_and_implicit_samples(tmp_path):
    a = d.protect_table(pd.DataFrame({"model": ["all"], "or_sc": [1.0412345], "n": [10_000]}), name="main-estimates",
                        estimates=["or_sc"], n="n")
    b = d.protect_table(pd.DataFrame({"model": ["drop 2005"], "or_sc": [1.05], "n": [9_993]}), name="robustness",
                        estimates=["or_sc"], n="n")
    c = d.protect_table(_table(), name="sample-by-group", estimates=["prevalence", "weighted"], counts=["victims"],
                        n="n", labels=["year"])
    md, csv = d.write_review_bundle(tmp_path / "review" / "bundle.md", [a, b, c])
    text = md.read_text()
    assert text.startswith("# Disclosure review bundle") and "CONFIDENTIAL" in text
    for name in ("### main-estimates", "### robustness", "### sample-by-group"):
        assert name in text
    row = "| model=all | or_sc | estimate | 1.0412345 | 1.041 | False | 10000 | estimate: 4 significant digits |"
    assert row in text
    assert "## Implicit-sample check" in text
    assert "| robustness | model=drop 2005 / n | 9993 | main-estimates | model=all / n | 10000 | 7 |" in text
    assert "github.com/simsong/drb_rounder" in text
    body = pd.read_csv(csv)
    assert set(body["record"]) == {"cell", "implicit-sample"}
    cells = body[body["record"] == "cell"]
    assert len(cells) == len(a.cells) + len(b.cells) + len(c.cells) and cells["n_unweighted"].notna().all()
    assert not list(tmp_path.rglob("*.tmp"))


def test_review_bundle_says_when_no_pair_is_flagged(tmp_path):
    a = d.protect_table(pd.DataFrame({"m": ["x"], "b": [0.5], "n": [1000]}), name="one", estimates=["b"], n="n")
    md, _ = d.write_review_bundle(tmp_path / "bundle.md", [a])
    assert "No two released cells have unweighted samples that differ by 1 to 14 observations." in md.read_text()


def test_review_bundle_refuses_two_outputs_with_one_name(tmp_path):
    a = d.protect_table(pd.DataFrame({"m": ["x"], "b": [0.5], "n": [1000]}), name="same", estimates=["b"], n="n")
    with pytest.raises(d.DisclosureError, match="share a name"):
        d.write_review_bundle(tmp_path / "bundle.md", [a, a])
