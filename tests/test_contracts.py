"""Contracts between the pieces: notebooks <-> pipeline.yaml <-> parameters <-> README <-> CI."""

import ast
import re

import jupytext
import pytest

from fedlocal import params, paths, runner

STAGES = runner.load_stages()
README = (paths.ROOT / "README.md").read_text()


def parameters_cell(stage):
    nb = jupytext.read(stage.notebook_path)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{stage.notebook}: expected exactly one cell tagged 'parameters', found {len(cells)}"
    return cells[0].source


def test_every_notebook_is_a_stage_and_every_stage_a_notebook():
    on_disk = {p.relative_to(paths.ROOT).as_posix() for p in paths.NOTEBOOKS.glob("*.py")}
    assert on_disk == {s.notebook for s in STAGES}
    for s in STAGES:
        assert re.fullmatch(r"notebooks/\d\d-[a-z]+(-[a-z0-9]+)+\.py", s.notebook), s.notebook


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_parameters_cell_holds_literals_for_exactly_the_stage_parameters(stage):
    tree = ast.parse(parameters_cell(stage))
    names = {}
    for node in tree.body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1, f"{stage.notebook}: only `name = literal` lines"
        names[node.targets[0].id] = ast.literal_eval(node.value)  # raises if not a literal
    assert set(names) == {"input_dir", "output_dir", *stage.params}, stage.notebook
    for k in stage.params:  # the notebook's own defaults are the schema's, so a student's standalone run matches
        assert params.SCHEMA[k].default == names[k], f"{stage.notebook}: default of {k!r} differs from the schema"


def test_every_stage_that_reads_ncvs_outputs_takes_the_disclosure_parameter():
    """The runner protects only stages that take `disclosure`: a stage built on the NCVS stage's outputs, directly
    or through another stage, without it would release exact restricted-data estimates from a data center."""
    by_name = {s.name: s for s in STAGES}

    def reads_ncvs(stage) -> bool:
        return any(n == "ncvs" or reads_ncvs(by_name[n]) for n in stage.needs)

    missing = [s.name for s in STAGES if (s.name == "ncvs" or reads_ncvs(s)) and "disclosure" not in s.params]
    assert not missing, f"pipeline.yaml: add `disclosure` to the params of {missing}"


def test_the_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    assert "make all" in README and "make test" in README
    ci = (paths.ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_the_readme_outputs_table_lists_every_figure_and_table_with_its_notebook():
    rows = [line for line in README.splitlines() if line.startswith("|")]
    for s in STAGES:
        for o in s.outputs:
            if o.startswith(("figures/", "tables/")) and not o.endswith(".csv"):
                hit = [r for r in rows if f"`{o}`" in r]
                assert hit, f"README outputs table has no row for {o}"
                notebook = s.notebook.split("/")[-1].removesuffix(".py")
                assert any(notebook in r for r in hit), f"{o}: row lacks {s.notebook}"


def test_no_output_is_declared_by_two_stages():
    outs = [o for s in STAGES for o in s.outputs]
    assert len(outs) == len(set(outs))


def test_the_readme_command_table_has_every_subcommand():
    from fedlocal import cli

    sub = next(a for a in cli._parser()._actions if a.dest == "command")
    rows = [line for line in README.splitlines() if line.startswith("| `fedlocal ")]
    for name in sub.choices:
        assert any(r.startswith(f"| `fedlocal {name}") for r in rows), f"README command table lacks fedlocal {name}"


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_every_notebook_writes_through_output_layout(stage):
    """Run by hand (output_dir ''), a notebook must write to results/scratch/, so its output folder comes from
    paths.output_layout, never from paths.layout (which would mean the canonical folders)."""
    text = stage.notebook_path.read_text()
    assert "output_layout(output_dir)" in text, f"{stage.notebook}: build the output layout with output_layout(output_dir)"
    assert not re.search(r"\blayout\(output_dir\)", text.replace("output_layout(output_dir)", "")), \
        f"{stage.notebook}: layout(output_dir) writes over the canonical outputs when run by hand; use output_layout"
