"""The runner itself, on a two-stage pipeline of tiny real notebooks executed by papermill."""

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from fedlocal import FedlocalError, params, paths, registry, runner

HEADER = """# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---
"""

MAKE = HEADER + textwrap.dedent('''
    # %% tags=["parameters"]
    input_dir = ""
    output_dir = ""
    seed = 1

    # %%
    import pandas as pd
    from fedlocal.paths import layout
    from fedlocal.report import save_table, save_variables
    out = layout(output_dir)
    if seed == 13:
        raise RuntimeError("unlucky seed")
    df = pd.DataFrame({"x": range(seed % 7 + 3)})
    out.data.mkdir(parents=True, exist_ok=True)
    df.to_csv(out.data / "numbers.csv", index=False)
    save_variables(out, "make", {"rows": len(df)})
''')

SUMMARISE = HEADER + textwrap.dedent('''
    # %% tags=["parameters"]
    input_dir = ""
    output_dir = ""

    # %%
    import pandas as pd
    from fedlocal.paths import layout
    from fedlocal.report import save_table
    src, out = layout(input_dir), layout(output_dir)
    df = pd.read_csv(src.data / "numbers.csv")
    save_table(df.describe().reset_index(), out, "numbers-summary")
    print(len(df))
''')


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A pipeline file with two stages and a parameter file, all in a temporary folder."""
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "01-make-numbers.py").write_text(MAKE)
    (tmp_path / "nb" / "02-summarise-numbers.py").write_text(SUMMARISE)
    spec = {"stages": [
        {"name": "make", "notebook": "nb/01-make-numbers.py", "params": ["seed"],
         "outputs": ["data/numbers.csv", "variables/make.yml"]},
        {"name": "summarise", "notebook": "nb/02-summarise-numbers.py", "needs": ["make"],
         "outputs": ["tables/numbers-summary.csv", "tables/numbers-summary.md"]},
    ]}
    (tmp_path / "pipeline.yaml").write_text(yaml.safe_dump(spec))
    (tmp_path / "p.yaml").write_text("seed: 3\n")
    monkeypatch.setattr(paths, "RUNS", tmp_path / "runs")
    return tmp_path


def run(toy, *overrides, force=False, out="out", params_file="p.yaml", only=None):
    lines = []
    m = runner.run_pipeline(toy / params_file, list(overrides), out=toy / out, force=force, only=only,
                            pipeline_file=toy / "pipeline.yaml", progress=False, say=lines.append)
    return m, "\n".join(lines)


def test_runs_stages_in_order_and_writes_manifest(toy):
    manifest, log = run(toy)
    out = toy / "out"
    assert (out / "tables" / "numbers-summary.md").read_text().startswith("| index |")
    assert yaml.safe_load((out / "_variables.yml").read_text()) == {"make": {"rows": 6}}
    saved = json.loads((out / "manifest.json").read_text())
    assert saved == json.loads(json.dumps(manifest))
    for key in ("git_commit", "git_dirty", "params_file", "params_sha256", "inputs", "versions", "stages"):
        assert key in saved
    assert saved["params"]["seed"] == 3 and saved["params_sha256"] == registry.sha256(toy / "p.yaml")
    rec = saved["stages"]["summarise"]
    assert rec["outputs"]["tables/numbers-summary.csv"] == registry.sha256(out / "tables/numbers-summary.csv")
    assert rec["seconds"] > 0 and (out / "notebooks" / "02-summarise-numbers.ipynb").is_file()
    assert "[1/2] make" in log and "[2/2] summarise" in log
    assert not (out / ".staging").exists()


def test_unchanged_stages_are_skipped_and_changes_rerun_what_depends_on_them(toy):
    run(toy)
    _, log = run(toy)
    assert log.count("up to date, skipped") == 2
    (toy / "p.yaml").write_text("seed: 4\n")  # make's parameter changes; its output changes; summarise follows
    _, log = run(toy)
    assert "make (nb/01-make-numbers.py): running (parameters changed)" in log
    assert "summarise (nb/02-summarise-numbers.py): running (outputs of an earlier stage changed)" in log
    _, log = run(toy, force=True)
    assert "skipped" not in log


def test_a_failing_stage_leaves_previous_outputs_in_place(toy):
    run(toy)
    before = {p: p.read_bytes() for p in (toy / "out").rglob("*") if p.is_file() and "notebooks" not in p.parts}
    with pytest.raises(runner.StageError) as err:
        run(toy, "seed=13")
    msg = str(err.value)
    assert "stage 'make' failed in nb/01-make-numbers.py, cell" in msg and "RuntimeError: unlucky seed" in msg
    partial = Path(msg.split("partially executed notebook: ")[1].split("\n")[0])
    assert partial.is_file() and "unlucky seed" in partial.read_text()
    after = {p: p.read_bytes() for p in (toy / "out").rglob("*") if p.is_file() and "notebooks" not in p.parts}
    assert after == before


def test_a_stage_must_write_exactly_what_it_declares(toy):
    spec = yaml.safe_load((toy / "pipeline.yaml").read_text())
    spec["stages"][0]["outputs"].append("figures/never-made.png")
    (toy / "pipeline.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(runner.StageError, match="did not write the declared output"):
        run(toy, only=["make"])
    spec["stages"][0]["outputs"] = ["data/numbers.csv"]
    (toy / "pipeline.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(runner.StageError, match=r"undeclared output\(s\) \['variables/make.yml'\]"):
        run(toy, only=["make"])


def test_variants_never_touch_the_canonical_layout(toy):
    assert runner.plan_run(paths.PARAMS / "default.yaml").root is None
    ci = runner.plan_run(paths.PARAMS / "ci.yaml")
    assert ci.root == paths.RUNS / "ci"
    tweaked = runner.plan_run(paths.PARAMS / "default.yaml", ["scale=0.5"])
    assert tweaked.root.parent == paths.RUNS and tweaked.name.startswith("default-set-")
    m = runner.run_pipeline(toy / "p.yaml", ["seed=5"], pipeline_file=toy / "pipeline.yaml", progress=False,
                            say=lambda s: None)
    where = paths.RUNS / m["run_name"]
    assert (where / "tables" / "numbers-summary.md").is_file() and m["canonical"] is False


def test_only_needs_the_earlier_stage_to_have_run(toy):
    with pytest.raises(runner.StageError, match="needs the outputs of 'make'"):
        run(toy, only=["summarise"])


@pytest.mark.parametrize("content, key", [
    ("seed: 3\ncolour: red\n", "unknown parameter 'colour'"),
    ("seed: three\n", "parameter 'seed' = 'three' is not valid"),
    ("first_year: 2003\n",
     "parameter 'first_year' = 2003 is not valid (out of range); expected an int in [2005, 2014]"),
    ("scale: -0.5\n", "parameter 'scale' = -0.5 is not valid (out of range)"),
    ("exposure_rule: sometimes\n", "expected one of 'any', 'all', 'share', 'at_interview'"),
    ("first_year: 2012\nlast_year: 2010\n", "first_year 2012 is after last_year 2010"),
])
def test_bad_parameters_stop_everything_with_one_clear_message(toy, content, key):
    (toy / "p.yaml").write_text(content)
    with pytest.raises(params.ParamError) as err:
        run(toy)
    assert key in str(err.value) and "p.yaml" in str(err.value)
    assert not (toy / "out").exists()  # nothing executed


def test_every_declared_parameter_is_used_by_some_stage():
    used = {k for s in runner.load_stages() for k in s.params}
    assert set(params.SCHEMA) - used - {"run_name"} == set()


def test_the_parameter_files_are_valid():
    for f in sorted(paths.PARAMS.rglob("*.yaml")):
        params.load(f)


def test_a_run_with_every_stage_up_to_date_reads_no_raw_data(toy, tmp_path, monkeypatch):
    """Only the inputs of stages that will run are fetched: with the cache emptied and an empty mirror, an
    up-to-date run still succeeds, and a stage that must rerun names its missing input before anything runs."""
    name = "bjs_ncvs_tables/cv17/readme.txt"
    spec = yaml.safe_load((toy / "pipeline.yaml").read_text())
    spec["stages"][0]["inputs"] = [name]
    (toy / "pipeline.yaml").write_text(yaml.safe_dump(spec))
    monkeypatch.setattr(paths, "RAW_CACHE", tmp_path / "cache")
    run(toy)  # fetched from the real mirror into the temporary cache
    (tmp_path / "cache" / name).unlink()
    (tmp_path / "empty-mirror").mkdir()
    monkeypatch.setenv(paths.MIRROR_ENV, str(tmp_path / "empty-mirror"))
    _, log = run(toy)
    assert log.count("up to date, skipped") == 2
    with pytest.raises(registry.InputError, match="not found in the mirror"):
        run(toy, "seed=4")  # make must rerun, so its input is needed
    assert json.loads((toy / "out" / "manifest.json").read_text())["params"]["seed"] == 3


def test_git_state_is_taken_before_the_run_writes_and_the_lock_is_recorded(toy, monkeypatch):
    """A rerun rewrites tracked outputs (manifest, notebooks); a clean checkout must still be recorded as clean."""
    import subprocess

    def git(*args):
        subprocess.run(["git", *args], cwd=toy, check=True, capture_output=True)

    (toy / "requirements.lock").write_text("numpy==1.0 --hash=sha256:00\n")
    monkeypatch.setattr(paths, "ROOT", toy)  # the project is the toy folder, for the runner and the kernels
    monkeypatch.setenv(paths.ROOT_ENV, str(toy))
    git("init", "-q")
    run(toy)
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first run")
    manifest, _ = run(toy, force=True)
    assert manifest["git_dirty"] is False and len(manifest["git_commit"]) == 40
    assert manifest["lock_sha256"] == registry.sha256(toy / "requirements.lock")
    (toy / "p.yaml").write_text("seed: 4\n")  # a tracked file changed before the run: dirty
    manifest, _ = run(toy)
    assert manifest["git_dirty"] is True


def test_an_unchanged_rerun_writes_the_same_executed_notebooks(toy):
    """Executed notebooks are committed: a forced rerun with the same parameters must not change a byte."""
    run(toy)
    first = {p.name: p.read_bytes() for p in (toy / "out" / "notebooks").glob("*.ipynb")}
    run(toy, force=True)
    again = {p.name: p.read_bytes() for p in (toy / "out" / "notebooks").glob("*.ipynb")}
    assert set(first) == {"01-make-numbers.ipynb", "02-summarise-numbers.ipynb"} and again == first
    nb = json.loads(first["01-make-numbers.ipynb"])
    assert [c["id"] for c in nb["cells"]] == [f"cell-{i}" for i in range(len(nb["cells"]))]
THREADS = HEADER + textwrap.dedent('''
    # %% tags=["parameters"]
    input_dir = ""
    output_dir = ""

    # %%
    import numpy  # noqa: F401 (loads the BLAS whose thread pool is read below)
    from threadpoolctl import threadpool_info
    from fedlocal.paths import layout
    from fedlocal.report import save_variables
    save_variables(layout(output_dir), "threads", {"blas": sorted({p["num_threads"] for p in threadpool_info()})})
''')


@pytest.mark.parametrize("setting, expected", [(None, 1), ("2", 2)])
def test_stage_kernels_get_the_chosen_blas_threads_and_the_manifest_records_them(tmp_path, monkeypatch, setting,
                                                                               expected):
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "01-threads.py").write_text(THREADS)
    spec = {"stages": [{"name": "threads", "notebook": "nb/01-threads.py", "outputs": ["variables/threads.yml"]}]}
    (tmp_path / "pipeline.yaml").write_text(yaml.safe_dump(spec))
    (tmp_path / "p.yaml").write_text("seed: 3\n")
    monkeypatch.setattr(paths, "RUNS", tmp_path / "runs")
    if setting is None:
        monkeypatch.delenv("FEDLOCAL_BLAS_THREADS", raising=False)
    else:
        monkeypatch.setenv("FEDLOCAL_BLAS_THREADS", setting)
    manifest = runner.run_pipeline(tmp_path / "p.yaml", out=tmp_path / "out", pipeline_file=tmp_path / "pipeline.yaml",
                                   progress=False, say=lambda _: None)
    assert yaml.safe_load((tmp_path / "out" / "_variables.yml").read_text()) == {"threads": {"blas": [expected]}}
    assert manifest["blas_threads"] == expected and manifest["cpus"] >= 1


def test_a_bad_blas_thread_setting_is_one_clear_error(monkeypatch):
    from fedlocal.runner.execute import blas_threads

    monkeypatch.setenv("FEDLOCAL_BLAS_THREADS", "many")
    with pytest.raises(FedlocalError, match="FEDLOCAL_BLAS_THREADS"):
        blas_threads()
