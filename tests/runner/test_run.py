"""The runner itself, on a two-stage pipeline of tiny real notebooks executed by papermill."""

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from fedlocal import FedlocalError, params, paths, registry, runner
from fedlocal.manuscript.colophon import colophon_variables

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
    if seed == 11:  # a slow stage, for the lock test
        import time
        time.sleep(6)
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


def write_toy(folder: Path) -> Path:
    """A pipeline file with two stages and a parameter file in `folder`."""
    (folder / "nb").mkdir()
    (folder / "nb" / "01-make-numbers.py").write_text(MAKE)
    (folder / "nb" / "02-summarise-numbers.py").write_text(SUMMARISE)
    spec = {"stages": [
        {"name": "make", "notebook": "nb/01-make-numbers.py", "params": ["seed"],
         "outputs": ["data/numbers.csv", "variables/make.yml"]},
        {"name": "summarise", "notebook": "nb/02-summarise-numbers.py", "needs": ["make"],
         "outputs": ["tables/numbers-summary.csv", "tables/numbers-summary.md"]},
    ]}
    (folder / "pipeline.yaml").write_text(yaml.safe_dump(spec))
    (folder / "p.yaml").write_text("seed: 3\n")
    return folder


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """The two-stage toy pipeline in a temporary folder, not run yet."""
    monkeypatch.setattr(paths, "RUNS", tmp_path / "runs")
    return write_toy(tmp_path)


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    """The toy pipeline run once into out/ (over a staging folder an interrupted run left there), shared by the tests
    that read that run or start from a copy of it: each toy run starts two kernels (about 5 s)."""
    folder = write_toy(tmp_path_factory.mktemp("toy-run"))
    leftover = folder / "out" / ".staging" / "old-stage" / "notebooks"
    leftover.mkdir(parents=True)
    (leftover / "half.ipynb").write_text("{}")
    manifest, log = run(folder)
    return folder, manifest, log


@pytest.fixture
def toy_ran(toy_run, tmp_path, monkeypatch):
    """A copy of the shared toy run (pipeline, parameters and out/), for a test that runs again on top of it."""
    import shutil

    monkeypatch.setattr(paths, "RUNS", tmp_path / "runs")
    shutil.copytree(toy_run[0], tmp_path, dirs_exist_ok=True)
    return tmp_path


def run(toy, *overrides, force=False, out="out", params_file="p.yaml", only=None):
    lines = []
    m = runner.run_pipeline(toy / params_file, list(overrides), out=toy / out, force=force, only=only,
                            pipeline_file=toy / "pipeline.yaml", progress=False, say=lines.append)
    return m, "\n".join(lines)


def test_runs_stages_in_order_and_writes_manifest(toy_run):
    toy, manifest, log = toy_run
    out = toy / "out"
    assert (out / "tables" / "numbers-summary.md").read_text().startswith("| index |")
    saved = json.loads((out / "manifest.json").read_text())
    variables = yaml.safe_load((out / "_variables.yml").read_text())
    assert variables["make"] == {"rows": 6}
    # complete for a plain `quarto render`: the colophon's run facts come from the manifest just written
    assert variables["run"] == colophon_variables(saved)
    assert variables["run"]["commit"] != "unknown" or saved["git_commit"] is None
    assert saved == json.loads(json.dumps(manifest))
    for key in ("git_commit", "git_dirty", "params_file", "params_sha256", "inputs", "versions", "stages"):
        assert key in saved
    assert saved["params"]["seed"] == 3 and saved["params_sha256"] == registry.sha256(toy / "p.yaml")
    rec = saved["stages"]["summarise"]
    assert rec["outputs"]["tables/numbers-summary.csv"] == registry.sha256(out / "tables/numbers-summary.csv")
    assert rec["seconds"] > 0 and (out / "notebooks" / "02-summarise-numbers.ipynb").is_file()
    assert "[1/2] make" in log and "[2/2] summarise" in log
    assert not (out / ".staging").exists()


def test_unchanged_stages_are_skipped_and_changes_rerun_what_depends_on_them(toy_ran):
    toy = toy_ran
    _, log = run(toy)
    assert log.count("up to date, skipped") == 2
    (toy / "p.yaml").write_text("seed: 4\n")  # make's parameter changes; its output changes; summarise follows
    _, log = run(toy)
    assert "make (nb/01-make-numbers.py): running (parameters changed)" in log
    assert "summarise (nb/02-summarise-numbers.py): running (outputs of an earlier stage changed)" in log
    _, log = run(toy, force=True)
    assert "skipped" not in log


def test_a_failing_stage_leaves_previous_outputs_in_place(toy_ran):
    toy = toy_ran
    before = {p: p.read_bytes() for p in (toy / "out").rglob("*") if p.is_file() and "notebooks" not in p.parts
              and not p.relative_to(toy / "out").parts[0].startswith(".")}
    with pytest.raises(runner.StageError) as err:
        run(toy, "seed=13")
    msg = str(err.value)
    assert "stage 'make' failed in nb/01-make-numbers.py, cell" in msg and "RuntimeError: unlucky seed" in msg
    partial = Path(msg.split("partially executed notebook: ")[1].split("\n")[0])
    assert partial.is_file() and "unlucky seed" in partial.read_text()
    assert partial.parent == toy / "out" / ".failed"  # not among the run's notebooks: never taken for a result
    assert not list((toy / "out" / "notebooks").rglob("*failed*"))
    after = {p: p.read_bytes() for p in (toy / "out").rglob("*") if p.is_file() and "notebooks" not in p.parts
              and not p.relative_to(toy / "out").parts[0].startswith(".")}
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
    assert ci.root.parent == paths.RUNS and ci.name.startswith("ci-")
    tweaked = runner.plan_run(paths.PARAMS / "default.yaml", ["scale=0.5"])
    assert tweaked.root.parent == paths.RUNS and tweaked.name.startswith("default-")
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


def test_git_state_is_taken_before_the_run_writes_and_the_lock_is_recorded(toy_ran, monkeypatch):
    """A rerun rewrites tracked outputs (manifest, notebooks); a clean checkout must still be recorded as clean."""
    import subprocess

    def git(*args):
        subprocess.run(["git", *args], cwd=toy, check=True, capture_output=True)

    toy = toy_ran  # out/ holds a first run
    (toy / "requirements.lock").write_text("numpy==1.0 --hash=sha256:00\n")
    monkeypatch.setattr(paths, "ROOT", toy)  # the project is the toy folder, for the runner and the kernels
    monkeypatch.setenv(paths.ROOT_ENV, str(toy))
    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first run")
    manifest, _ = run(toy, force=True)
    assert manifest["git_dirty"] is False and len(manifest["git_commit"]) == 40
    assert manifest["lock_sha256"] == registry.sha256(toy / "requirements.lock")
    (toy / "p.yaml").write_text("seed: 4\n")  # a tracked file changed before the run: dirty
    manifest, _ = run(toy)
    assert manifest["git_dirty"] is True


def test_an_unchanged_rerun_writes_the_same_executed_notebooks_and_logs_no_kernel_interrupt(toy, capfd):
    """Executed notebooks are committed: a forced rerun with the same parameters must not change a byte (run twice
    in one folder: a notebook records its absolute output folder). jupyter_client interrupts a kernel before
    shutting it down; ipykernel logged that as an ERROR line."""
    run(toy)
    first = {p.name: p.read_bytes() for p in (toy / "out" / "notebooks").glob("*.ipynb")}
    capfd.readouterr()
    run(toy, force=True)
    captured = capfd.readouterr()
    assert "KeyboardInterrupt" not in captured.err + captured.out
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
    assert yaml.safe_load((tmp_path / "out" / "_variables.yml").read_text())["threads"] == {"blas": [expected]}
    assert manifest["blas_threads"] == expected and manifest["cpus"] >= 1


def test_a_bad_blas_thread_setting_is_one_clear_error(monkeypatch):
    from fedlocal.runner.execute import blas_threads

    monkeypatch.setenv("FEDLOCAL_BLAS_THREADS", "many")
    with pytest.raises(FedlocalError, match="FEDLOCAL_BLAS_THREADS"):
        blas_threads()




CANONICAL_PLACES = [".", "results", "figures", "tables", "data/derived", "results/notebooks", "results/variables",
                    "tables/sub"]


@pytest.mark.parametrize("place", CANONICAL_PLACES)
def test_out_never_points_at_the_canonical_outputs(place, monkeypatch):
    """--out . (from the repository), the repository root or a folder of canonical outputs is refused."""
    monkeypatch.chdir(paths.ROOT)
    for out in (place, paths.ROOT / place):
        with pytest.raises(runner.PlanError, match="would write over the canonical outputs"):
            runner.plan_run(paths.PARAMS / "ci.yaml", out=out)


def test_out_is_refused_before_anything_is_written(toy):
    before = sorted(p for p in paths.ROOT.glob("*"))
    with pytest.raises(runner.PlanError):
        runner.run_pipeline(toy / "p.yaml", out=paths.ROOT, pipeline_file=toy / "pipeline.yaml", progress=False,
                            say=lambda s: None)
    assert sorted(p for p in paths.ROOT.glob("*")) == before


@pytest.mark.parametrize("name", ["..", ".", "../..", "", "a/b", "/abs/x"])
def test_a_run_name_cannot_leave_results_runs(name):
    """'..' passes the parameter check (letters, digits, '.', '_', '-') but would make results/runs/.. = results/."""
    with pytest.raises(FedlocalError, match="'run_name'"):
        runner.plan_run(paths.PARAMS / "default.yaml", [f"run_name={name}", "scale=0.5"])


def test_run_name_never_selects_the_canonical_or_another_runs_folder():
    """--set run_name=default with other parameters is a variant; a variant named like another run gets its own."""
    run = runner.plan_run(paths.PARAMS / "default.yaml", ["run_name=default", "scale=0.5"])
    assert run.root is not None and run.root.parent == paths.RUNS and run.root.name.startswith("default-")
    ci = runner.plan_run(paths.PARAMS / "ci.yaml")
    impostor = runner.plan_run(paths.PARAMS / "default.yaml", ["run_name=ci"])
    assert impostor.root.name.startswith("ci-") and impostor.root != ci.root


def test_the_same_variant_with_an_extra_set_gets_its_own_folder():
    variant = paths.PARAMS / "variants" / "null-effects.yaml"
    plain = runner.plan_run(variant)
    extra = runner.plan_run(variant, ["cluster=person"])
    assert plain.root.name.startswith("null-effects-") and extra.root.name.startswith("null-effects-")
    assert plain.root != extra.root
    assert runner.plan_run(variant).root == plain.root  # the same parameters: the same folder (stages reused)


def test_a_second_run_into_the_same_folder_stops_and_leaves_the_first_alone(toy):
    """Two processes: a slow run holds the folder; the second stops with a message and deletes nothing."""
    import subprocess
    import sys
    import time

    code = ("import sys; from fedlocal import runner; "
            "runner.run_pipeline(sys.argv[1], ['seed=11'], out=sys.argv[2], pipeline_file=sys.argv[3], "
            "progress=False, say=lambda s: None)")
    first = subprocess.Popen([sys.executable, "-c", code, str(toy / "p.yaml"), str(toy / "out"),
                              str(toy / "pipeline.yaml")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        staging = toy / "out" / ".staging" / "make"
        deadline = time.monotonic() + 60
        while not staging.is_dir() and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.1)
        assert staging.is_dir(), first.stderr.read() if first.poll() is not None else "first run never started"
        with pytest.raises(runner.RunLockedError, match=rf"another fedlocal run \(pid {first.pid}, started .*\) is "
                                                        rf"writing into .*out/; wait for it to finish"):
            run(toy)
        assert staging.is_dir()  # the first run's staging folder survived
        assert first.wait(timeout=120) == 0, first.stderr.read()
    finally:
        first.kill()
    manifest = json.loads((toy / "out" / "manifest.json").read_text())
    assert manifest["params"]["seed"] == 11 and set(manifest["stages"]) == {"make", "summarise"}
    _, log = run(toy)  # the lock went with the first process
    assert "make (nb/01-make-numbers.py): running (parameters changed)" in log


def test_staging_folders_left_by_an_interrupted_run_are_removed(toy_run):
    toy, _, _ = toy_run  # the shared run started over toy/out/.staging/old-stage/notebooks/half.ipynb
    assert (toy / "out" / "manifest.json").is_file() and not (toy / "out" / ".staging").exists()


def test_the_kernel_is_shut_down_without_an_interrupt():
    """The cause of the spurious 'KeyboardInterrupt caught in kernel': SIGINT sent by shutdown_kernel."""
    import asyncio
    import signal

    from jupyter_client.manager import AsyncKernelManager

    from fedlocal.runner.execute import kernel_manager_class

    async def signals_sent_on_shutdown(cls) -> list:
        km = cls(kernel_name="python3")
        await km.start_kernel()
        sent = []
        original = km._async_signal_kernel

        async def record(signum):
            sent.append(signum)
            await original(signum)

        km._async_signal_kernel = record
        await km.shutdown_kernel()
        return sent

    assert signal.SIGINT in asyncio.run(signals_sent_on_shutdown(AsyncKernelManager))  # what papermill did
    assert signal.SIGINT not in asyncio.run(signals_sent_on_shutdown(kernel_manager_class()))


def test_a_variant_reuses_the_stages_another_run_built_with_the_same_fingerprint(toy_ran):
    toy = toy_ran
    (toy / "out").rename(toy / "ref")
    lines = []
    runner.run_pipeline(toy / "p.yaml", out=toy / "variant", pipeline_file=toy / "pipeline.yaml", progress=False,
                        say=lines.append, reuse_from=paths.Layout.at(toy / "ref"))
    log = "\n".join(lines)
    assert log.count("its outputs reused") == 2 and "running" not in log
    ref, variant = paths.Layout.at(toy / "ref"), paths.Layout.at(toy / "variant")
    for o in ("data/numbers.csv", "tables/numbers-summary.md", "variables/make.yml"):
        assert variant.resolve(o).read_bytes() == ref.resolve(o).read_bytes()
    assert (variant.notebooks / "02-summarise-numbers.ipynb").is_file()
    manifest = json.loads(variant.manifest.read_text())
    assert manifest["stages"]["make"]["reused_from"].endswith("ref/manifest.json")
    lines.clear()  # reused stages count as this run's own: a rerun skips them
    runner.run_pipeline(toy / "p.yaml", ["seed=4"], out=toy / "variant2", pipeline_file=toy / "pipeline.yaml",
                        progress=False, say=lines.append, reuse_from=paths.Layout.at(toy / "ref"))
    assert "reused" not in "\n".join(lines)  # a changed parameter upstream: nothing to reuse


def test_a_variant_reuses_from_the_first_of_several_runs_that_has_the_stage(toy_ran):
    toy = toy_ran
    (toy / "out").rename(toy / "ref")
    lines = []
    ref, empty = paths.Layout.at(toy / "ref"), paths.Layout.at(toy / "nothing-here")
    runner.run_pipeline(toy / "p.yaml", out=toy / "variant", pipeline_file=toy / "pipeline.yaml", progress=False,
                        say=lines.append, reuse_from=[empty, ref])  # a source without a record is passed over
    assert "\n".join(lines).count("its outputs reused") == 2 and "running" not in "\n".join(lines)
    manifest = json.loads(paths.Layout.at(toy / "variant").manifest.read_text())
    assert manifest["stages"]["make"]["reused_from"].endswith("ref/manifest.json")


def test_an_intermediate_rebuilt_identical_leaves_the_manifest_as_it_was(ci_run, tmp_path):
    """A fresh clone lacks the uncommitted interview file: its rebuild is byte-identical, so the committed manifest
    (dates, commit) is not rewritten and `git status` stays clean after `make all`."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(ci_run, run)
    before = (run / "manifest.json").read_bytes()
    (run / "data" / "ncvs-interviews.parquet").unlink()
    lines = []
    runner.run_pipeline(paths.PARAMS / "ci.yaml", out=run, progress=False, say=lines.append, reuse_from=None)
    assert any("every output identical to the recorded run" in line for line in lines), lines
    assert (run / "manifest.json").read_bytes() == before
