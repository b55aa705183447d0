"""Cell text: numbers formatted, anything not estimable a dash."""

from fedlocal.report import formatting as fmt


def test_cells():
    assert fmt.fmt_or_ci(1.234, 1.01, 1.5) == "1.23 (1.01–1.50)"
    assert fmt.fmt_or_ci(float("nan"), 1, 2) == fmt.DASH
    assert fmt.fmt_pp_ci(0.1234, -0.05, 0.29) == "+0.12 (-0.05, +0.29)"
    assert fmt.fmt_p(0.0004) == "<0.001" and fmt.fmt_p(0.0456) == "0.046" and fmt.fmt_p(float("nan")) == fmt.DASH
    assert fmt.fmt_ci(0.5, float("inf")) == fmt.DASH and fmt.fmt_num(2.0) == "2.00"
    assert fmt.fmt_p_clause(0.0004) == "p < 0.001" and fmt.fmt_p_clause(0.0456) == "p = 0.046"


def test_numbers_with_separators_and_dashes():
    assert fmt.fmt_int(1234567.4) == "1,234,567" and fmt.fmt_num(12345.678, 1) == "12,345.7"
    assert fmt.fmt_pct(0.1234) == "12.3" and fmt.fmt_pct(0.00561, 3) == "0.561"
    assert fmt.fmt_int(float("nan")) == fmt.fmt_num(None) == fmt.fmt_pct("n/a") == fmt.DASH
