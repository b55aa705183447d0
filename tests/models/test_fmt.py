"""Cell text: numbers formatted, anything not estimable a dash."""

from fedlocal.models import fmt


def test_cells():
    assert fmt.or_ci(1.234, 1.01, 1.5) == "1.23 (1.01–1.50)"
    assert fmt.or_ci(float("nan"), 1, 2) == fmt.DASH
    assert fmt.pp_ci(0.1234, -0.05, 0.29) == "+0.12 (-0.05, +0.29)"
    assert fmt.p_value(0.0004) == "<0.001" and fmt.p_value(0.0456) == "0.046" and fmt.p_value(float("nan")) == fmt.DASH
    assert fmt.ci(0.5, float("inf")) == fmt.DASH and fmt.num(2.0) == "2.00"
