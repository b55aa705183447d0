"""compare: _variables.yml is judged by its values, apart from run.* (the colophon's record of when and where)."""

import yaml

from fedlocal.paths import Layout
from fedlocal.runner import compare


def _variables(tmp_path, name, values):
    layout = Layout.at(tmp_path / name)
    layout.variables_file.parent.mkdir(parents=True, exist_ok=True)
    layout.variables_file.write_text(yaml.safe_dump(values))
    return layout


def test_variables_that_differ_only_in_run_are_the_same(tmp_path):
    a = _variables(tmp_path, "a", {"models": {"or": "1.20"}, "run": {"commit": "aaa", "finished": "2026-12-01"}})
    b = _variables(tmp_path, "b", {"models": {"or": "1.20"}, "run": {"commit": "bbb", "finished": "2026-12-02"}})
    [verdict] = compare.verdicts(a, b, [])
    assert verdict.output == "_variables.yml" and verdict.same, verdict
    assert compare.mapping_differences(compare.read_variables(a), compare.read_variables(b)) == []


def test_variables_that_differ_in_a_number_differ(tmp_path):
    a = _variables(tmp_path, "a", {"models": {"or": "1.20"}, "run": {"commit": "aaa"}})
    b = _variables(tmp_path, "b", {"models": {"or": "1.21"}, "run": {"commit": "aaa"}})
    [verdict] = compare.verdicts(a, b, [])
    assert not verdict.same and "models.or: 1.20 vs 1.21" in verdict.how
