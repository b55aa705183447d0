"""Stages run side by side (`--jobs`): on a diamond of tiny real notebooks, the same outputs for any number of jobs,
independent stages overlapping, a failure reported once with the finished stages recorded, and the slots that bound
how many notebooks compute at once across a run and the runs it starts."""

import json
import textwrap

import pytest
import yaml

from fedlocal import cli, paths, runner
from fedlocal.runner import slots as slot_module
from fedlocal.runner.slots import JobsError, Slots, check_jobs, run_slots

from .test_run import HEADER

BASE = HEADER + textwrap.dedent('''
    # %% tags=["parameters"]
    input_dir = ""
    output_dir = ""
    seed = 1

    # %%
    import pandas as pd
    from fedlocal.paths import layout
    out = layout(output_dir)
    out.data.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"x": range(seed % 7 + 3)}).to_csv(out.data / "base.csv", index=False)
''')

# left and right need only base: with --jobs 2 they run at once. Each marks its start in the run folder (outside the
# declared outputs) and, when its run has more than one job, waits for the other's mark: whether it saw it says
# whether they overlapped, without any timing in the test.
SIDE = HEADER + textwrap.dedent('''
    # %% tags=["parameters"]
    input_dir = ""
    output_dir = ""
    seed = 1

    # %%
    import os
    import time
    from pathlib import Path
    import pandas as pd
    from fedlocal.paths import layout
    me, other = "{me}", "{other}"
    run_folder = Path(output_dir).resolve().parents[1]  # <run>/.staging/<stage>
    (run_folder / f"{{me}}-started").touch()
    deadline = time.monotonic() + 120
    while int(os.environ["FEDLOCAL_JOBS"]) > 1 and not (run_folder / f"{{other}}-started").exists() \\
            and time.monotonic() < deadline:
        time.sleep(0.1)
    (run_folder / f"{{me}}-overlapped").write_text(str((run_folder / f"{{other}}-started").exists()))
    if seed == 13 and me == "right":
        raise RuntimeError("unlucky seed")
    src, out = layout(input_dir), layout(output_dir)
    df = pd.read_csv(src.data / "base.csv").assign(side=me)
    out.tables.mkdir(parents=True, exist_ok=True)
    df.to_csv(out.tables / f"{{me}}.csv", index=False)
''')

JOIN = HEADER + textwrap.dedent('''
    # %% tags=["parameters"]
    input_dir = ""
    output_dir = ""

    # %%
    import pandas as pd
    from fedlocal.paths import layout
    from fedlocal.report import save_variables
    src, out = layout(input_dir), layout(output_dir)
    df = pd.concat([pd.read_csv(src.tables / "left.csv"), pd.read_csv(src.tables / "right.csv")])
    out.tables.mkdir(parents=True, exist_ok=True)
    df.to_csv(out.tables / "join.csv", index=False)
    save_variables(out, "join", {"rows": len(df)})
''')


@pytest.fixture
def diamond(tmp_path, monkeypatch):
    """base -> (left, right) -> join, with a parameter file, in a temporary folder."""
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "01-base.py").write_text(BASE)
    (tmp_path / "nb" / "02-left.py").write_text(SIDE.format(me="left", other="right"))
    (tmp_path / "nb" / "03-right.py").write_text(SIDE.format(me="right", other="left"))
    (tmp_path / "nb" / "04-join.py").write_text(JOIN)
    spec = {"stages": [
        {"name": "base", "notebook": "nb/01-base.py", "params": ["seed"], "outputs": ["data/base.csv"]},
        {"name": "left", "notebook": "nb/02-left.py", "params": ["seed"], "needs": ["base"],
         "outputs": ["tables/left.csv"]},
        {"name": "right", "notebook": "nb/03-right.py", "params": ["seed"], "needs": ["base"],
         "outputs": ["tables/right.csv"]},
        {"name": "join", "notebook": "nb/04-join.py", "needs": ["left", "right"],
         "outputs": ["tables/join.csv", "variables/join.yml"]},
    ]}
    (tmp_path / "pipeline.yaml").write_text(yaml.safe_dump(spec))
    (tmp_path / "p.yaml").write_text("seed: 3\n")
    monkeypatch.setattr(paths, "RUNS", tmp_path / "runs")
    return tmp_path


def run(diamond, out, jobs, *overrides):
    lines = []
    manifest = runner.run_pipeline(diamond / "p.yaml", list(overrides), out=diamond / out, jobs=jobs,
                                   pipeline_file=diamond / "pipeline.yaml", progress=False, say=lines.append)
    return manifest, lines


def test_the_outputs_are_the_same_whatever_the_jobs_and_independent_stages_overlap(diamond):
    one, log_one = run(diamond, "one", 1)
    two, log_two = run(diamond, "two", 2)
    assert {s: r["outputs"] for s, r in one["stages"].items()} == {s: r["outputs"] for s, r in two["stages"].items()}
    assert set(two["stages"]) == {"base", "left", "right", "join"}
    for o in ("data/base.csv", "tables/left.csv", "tables/right.csv", "tables/join.csv", "variables/join.yml"):
        assert (diamond / "one" / o).read_bytes() == (diamond / "two" / o).read_bytes()
    merged = [{k: v for k, v in yaml.safe_load((diamond / f / "_variables.yml").read_text()).items() if k != "run"}
              for f in ("one", "two")]
    assert merged[0] == merged[1] == {"join": {"rows": 12}}
    assert one["jobs"] == 1 and two["jobs"] == 2 and json.loads((diamond / "two" / "manifest.json").read_text())["jobs"] == 2
    # one job: right starts after left has finished; two: they run at once
    assert (diamond / "one" / "left-overlapped").read_text() == "False"
    assert (diamond / "two" / "left-overlapped").read_text() == "True"
    assert (diamond / "two" / "right-overlapped").read_text() == "True"
    # every line names its stage; join starts only once both of its needs are done
    running = [m for m in log_two if m.endswith("...")]
    assert [m.split("] ")[1].split(" ")[0] for m in running][0] == "base" and len(running) == 4
    join_at = log_two.index(next(m for m in log_two if m.startswith("[4/4] join") and m.endswith("...")))
    assert all(any(m.startswith(f"[{i}/4] {s}") and "done in" in m for m in log_two[:join_at])
               for i, s in ((2, "left"), (3, "right")))
    assert not (diamond / "two" / ".staging").exists()


def test_a_failing_stage_is_reported_once_and_the_stages_running_beside_it_are_recorded(diamond):
    with pytest.raises(runner.StageError) as err:
        run(diamond, "out", 2, "seed=13")
    assert "stage 'right' failed" in str(err.value) and "unlucky seed" in str(err.value)
    manifest = json.loads((diamond / "out" / "manifest.json").read_text())
    assert set(manifest["stages"]) == {"base", "left"}  # left ran beside right and finished: whole, recorded
    assert (diamond / "out" / "tables" / "left.csv").is_file()
    assert not (diamond / "out" / "tables" / "right.csv").exists()  # nothing of the failed stage, join never started
    assert not (diamond / "out" / "tables" / "join.csv").exists()
    _, lines = run(diamond, "out", 2)  # the next run redoes what failed and what needs it, keeps nothing mixed
    assert set(json.loads((diamond / "out" / "manifest.json").read_text())["stages"]) == {"base", "left", "right",
                                                                                          "join"}
    assert runner.incomplete_stages(paths.Layout.at(diamond / "out"), diamond / "pipeline.yaml") == []


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5", ""])
def test_a_bad_jobs_value_is_one_clear_error_before_anything_runs(diamond, bad, capsys):
    with pytest.raises(JobsError, match=r"--jobs .*: expected a whole number of stages to run at once, >= 1"):
        run(diamond, "out", bad)
    assert not (diamond / "out").exists()
    code = cli.main(["run", "--params", str(diamond / "p.yaml"), "--out", str(diamond / "out"), "--jobs", bad])
    assert code == 2 and capsys.readouterr().err.count("error: --jobs") == 1
    assert not (diamond / "out").exists()


def test_jobs_default_to_the_usable_cores_up_to_two(monkeypatch):
    monkeypatch.setattr(slot_module.os, "sched_getaffinity", lambda _: set(range(16)), raising=False)
    assert check_jobs(None) == 2
    monkeypatch.setattr(slot_module.os, "sched_getaffinity", lambda _: {0}, raising=False)
    assert check_jobs(None) == 1 and check_jobs("3") == 3 and check_jobs(4) == 4


def test_slots_bound_the_notebooks_computing_at_once_across_a_run_and_the_runs_it_starts(monkeypatch):
    monkeypatch.delenv(slot_module.SLOTS_ENV, raising=False)
    with run_slots(2) as top:
        first, second = top.try_acquire(), top.try_acquire()
        assert first is slot_module.OWN and second is not None and top.try_acquire() is None
        # a stage kernel of this run (e.g. stage 08, which starts variant runs) inherits the slot folder
        monkeypatch.setenv(slot_module.SLOTS_ENV, top.environment()[slot_module.SLOTS_ENV])
        monkeypatch.setenv(slot_module.JOBS_ENV, "2")
        with run_slots(5) as nested, run_slots(5) as again:
            assert again is nested and nested.jobs == 2  # one set per process, whatever the nested run asks for
            own = nested.try_acquire()  # the slot its own stage holds while it waits for the variants
            assert own is slot_module.OWN and nested.try_acquire() is None  # the file slot is the top run's
            top.release(second)
            taken = nested.try_acquire()
            assert taken is not None and top.try_acquire() is None
            nested.release(taken)
            nested.release(own)
        top.release(first)
    assert isinstance(top, Slots)
