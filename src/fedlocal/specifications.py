"""Alternative specifications as variant runs: each is the run's parameters with one or more `key=value` changes,
run (or reused) by the pipeline runner up to the stage that writes the estimates, and the estimates of every run
are collected side by side.

Why variant runs and not a loop inside a notebook: a variant is exactly what `fedlocal run --set key=value` gives a
reviewer, every stage it shares with this run (same notebook, code, parameters, inputs and upstream outputs) is
copied, not rerun, and an unchanged variant is skipped on the next run (the runner's cross-run reuse). The
specifications are data (the `specifications` run parameter, a list of `key=value` texts), so another choice, e.g.
`exposure_rule=share`, `cluster=person` or `survey_weights=true`, is a new list item, not new code. A specification
may change several keys at once ('exposure_rule=share; cluster=person').

The variants of a run live in `<run folder>/specifications/<label>/` (the canonical run: `results/runs/
specifications/<label>/`, git-ignored); the specifications stage itself writes only the collected table, figure
and variables.
"""

from __future__ import annotations

import math
import os
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fedlocal import FedlocalError, params, paths
from fedlocal.data.policies.sensitivity import ALTERNATIVES
from fedlocal.paths import Layout

# The estimates collected from every run (models stage): the pooled and the per-group within odds ratios.
ESTIMATE_TABLES = ("tables/main-estimates.csv", "tables/subgroup-estimates.csv")
ESTIMATE_COLUMNS = ("model", "group", "policy", "odds_ratio", "ci_low", "ci_high", "p_value", "persons", "interviews",
                    "source")
BASELINE = "This run"
# Readable names of the coding alternatives (notebook 01's labels) and of other common choices.
LABELS = {**{tuple(sorted(o.items())): label for label, o in ALTERNATIVES},
          (("month_coding", "any_day"),): "Months: in force on any day", (("month_coding", "full_month"),): "Months: full month",
          (("cluster", "person"),): "Clustered by person", (("survey_weights", True),): "Survey weights",
          (("exposure_rule", "all"),): "Exposure: all days", (("exposure_rule", "share"),): "Exposure: share of days",
          (("exposure_rule", "at_interview"),): "Exposure: at interview"}
# Every variant runs without the score bootstrap of notebook 04 (16 restricted fits, about a minute at the paper's
# scale): the curve and the comparisons use the odds ratios and their clustered intervals, which it does not change.
# A specification that sets bootstrap_draws itself keeps its value.
VARIANT_CHANGES = ("bootstrap_draws=0",)
UNCHANGED = 0.005  # a specification whose every odds ratio is within 0.5% of this run's "changes nothing"


class SpecificationError(FedlocalError):
    """A specification cannot be run: bad text, or a run without the record the variants start from."""


@dataclass(frozen=True)
class Specification:
    """One alternative: the parameter changes (`key=value` texts, in order) and a readable label."""

    changes: tuple[str, ...]

    @property
    def overrides(self) -> dict:
        return dict(params.parse_override(c) for c in self.changes)

    @property
    def text(self) -> str:
        return "; ".join(self.changes)

    @property
    def label(self) -> str:
        return LABELS.get(tuple(sorted(self.overrides.items())), ", ".join(f"{k} = {v}" for k, v in self.overrides.items()))

    @property
    def folder_name(self) -> str:
        """A stable folder name: the changes with anything but letters, digits, '.', '-' and '_' replaced."""
        return re.sub(r"[^A-Za-z0-9._-]+", "_", "+".join(c.replace("=", "-") for c in self.changes))[:100]


def parse(text: str) -> Specification:
    """'key=value' or 'key=value; key2=value2' -> Specification, every change a valid run parameter (ParamError)."""
    return Specification(params.specification_changes(text))


def estimate_stages(stages, tables=ESTIMATE_TABLES) -> list[str]:
    """The stages a variant must run: those writing `tables` and every stage they need, in run order."""
    by_name = {s.name: s for s in stages}
    wanted = {s.name for s in stages if set(tables) & set(s.outputs)}
    if not wanted:
        raise SpecificationError(f"no stage of pipeline.yaml writes {', '.join(tables)}")
    todo = list(wanted)
    while todo:
        for n in by_name[todo.pop()].needs:
            if n not in wanted:
                wanted.add(n)
                todo.append(n)
    return [s.name for s in stages if s.name in wanted]


def changed_stages(stages, spec: Specification, only: list[str]) -> list[str]:
    """The stages of `only` a specification reruns (the rest are copied from this run): those taking a parameter it
    changes (pipeline.yaml `params`) and every stage downstream of them, in run order. A change of clustering or
    weights reruns only the models; one of the exposure rule, the NCVS stage and the models."""
    by_name = {s.name: s for s in stages}
    changed: set[str] = set()
    for name in only:  # run order: every need is decided first
        stage = by_name[name]
        if set(spec.overrides) & set(stage.params) or changed & set(stage.needs):
            changed.add(name)
    return [n for n in only if n in changed]


def variants_folder(parent: Layout) -> Path:
    """Where a run's variants go: beside its own outputs, never inside the canonical folders."""
    canonical = Layout.canonical()
    return paths.RUNS / "specifications" if parent.manifest.resolve() == canonical.manifest.resolve() \
        else parent.manifest.parent / "specifications"


def parent_run(parent: Layout) -> tuple[Path, list[str], dict]:
    """The params file, overrides and values the parent run recorded in its manifest (the variants start from them)."""
    import json

    if not parent.manifest.is_file():
        raise SpecificationError(f"{parent.manifest} not found: the specifications stage runs inside `fedlocal run`, "
                                 f"after the stages that write {', '.join(ESTIMATE_TABLES)}")
    m = json.loads(parent.manifest.read_text())
    params_file = Path(m["params_file"])
    return (params_file if params_file.is_absolute() else paths.ROOT / params_file), list(m.get("overrides", [])), m["params"]


def reuse_sources(parent: Layout, spec: Specification) -> list[Layout]:
    """Runs a variant may copy unchanged stages from, first match wins: this run, then (for a variant of the
    canonical run, e.g. --set cluster=person) the canonical run's own variant of the same specification, whose
    policy stages it usually shares, then the canonical run."""
    canonical = Layout.canonical()
    sources = [parent, Layout.at(variants_folder(canonical) / spec.folder_name), canonical]
    unique = []
    for s in sources:
        if all(s.manifest.resolve() != u.manifest.resolve() for u in unique):
            unique.append(s)
    return unique


def say_everywhere(message: str) -> None:
    """Progress to the notebook and to the terminal running `fedlocal run` (the kernel's own stderr)."""
    print(message, flush=True)
    print(message, file=sys.__stderr__, flush=True)


def variant_jobs() -> int:
    """How many variants run at once: the --jobs of the run this stage belongs to (its kernel inherits it), else 1.
    The variants share that run's slots (fedlocal.runner.slots), so no more than --jobs stage notebooks compute at
    once across the run and its variants; the variants' folders, locks and reuse sources are their own."""
    from fedlocal.runner.slots import JOBS_ENV

    try:
        return max(1, int(os.environ.get(JOBS_ENV, "1")))
    except ValueError:
        return 1


def variant_changes(spec: Specification) -> list[str]:
    """VARIANT_CHANGES that the specification does not set itself."""
    return [c for c in VARIANT_CHANGES if params.parse_override(c)[0] not in spec.overrides]


def run_specifications(specs: list[Specification], parent: Layout, run: Callable | None = None,
                       say: Callable[[str], None] = say_everywhere,
                       jobs: int | None = None) -> list[tuple[Specification, Layout, float]]:
    """Run (or reuse) each specification as a variant of the parent run, up to the estimate stages; returns
    (specification, its layout, seconds), in the order given. A specification that changes nothing in the parent's
    parameters is skipped: the parent itself is that run.

    run: the runner (fedlocal.runner.run_pipeline; tests pass a stand-in). jobs: variants run at once (None:
    variant_jobs()); each writes only its own folder and reuses only from the parent and canonical runs, so they
    are independent.
    """
    from fedlocal.runner import load_stages

    if run is None:
        from fedlocal.runner import run_pipeline as run
    params_file, overrides, values = parent_run(parent)
    stages = load_stages()
    only = estimate_stages(stages)
    folder = variants_folder(parent)
    todo = []
    for i, spec in enumerate(specs, 1):
        if all(values.get(k) == v for k, v in spec.overrides.items()):
            say(f"[{i}/{len(specs)}] {spec.text}: same as this run, skipped")
        else:
            todo.append((i, spec))

    def one(i: int, spec: Specification) -> tuple[Specification, Layout, float]:
        out = folder / spec.folder_name
        changes = [*overrides, *variant_changes(spec), *spec.changes]
        command = (f"fedlocal run --params {paths.relative_to_root(params_file)}"
                   + "".join(f" --set {o}" for o in changes)
                   + f" --only {' '.join(only)} --out {paths.relative_to_root(out)}")
        rerun = changed_stages(stages, spec, only)
        say(f"[{i}/{len(specs)}] {spec.text}: {command}\n    reruns {', '.join(rerun)}; copies "
            f"{', '.join(n for n in only if n not in rerun) or 'nothing'} from this run")
        t0 = time.monotonic()
        run(params_file, changes, only=only, out=out, progress=False,
            say=lambda m: say(f"    {spec.text}: {m}"), reuse_from=reuse_sources(parent, spec))
        seconds = time.monotonic() - t0
        say(f"[{i}/{len(specs)}] {spec.text}: {seconds:.0f} s")
        return spec, Layout.at(out), seconds

    jobs = variant_jobs() if jobs is None else jobs
    if jobs <= 1 or len(todo) <= 1:
        return [one(i, spec) for i, spec in todo]
    with ThreadPoolExecutor(max_workers=min(jobs, len(todo)), thread_name_prefix="fedlocal-variant") as pool:
        futures = [pool.submit(one, i, spec) for i, spec in todo]
        return [f.result() for f in futures]  # the first failure (in the order given) is raised


NUMERIC_COLUMNS = ("odds_ratio", "ci_low", "ci_high", "p_value", "persons", "interviews")


def _released_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """A disclosure-safe run's tables hold text where a cell was suppressed ('suppressed (N<15)'): the curve reads
    such a cell as missing, so it shows as not estimable instead of failing on a comparison with text."""
    return frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce") for c in NUMERIC_COLUMNS if c in frame})


def read_estimates(layout: Layout, tables=ESTIMATE_TABLES) -> pd.DataFrame:
    """The estimate rows of one run (every table in `tables`, the columns in ESTIMATE_COLUMNS)."""
    frames = []
    for t in tables:
        f = layout.resolve(t)
        if not f.is_file():
            raise SpecificationError(f"{f} not found: the run did not finish the stage that writes {t}")
        frames.append(_released_numbers(pd.read_csv(f, dtype={"group": str, "policy": str})[list(ESTIMATE_COLUMNS)]))
    return pd.concat(frames, ignore_index=True)


def _excludes_one(lo: float, hi: float) -> bool:
    return bool(lo > 1 or hi < 1)


def collect(parent: Layout, runs: list[tuple[Specification, Layout, float]], tables=ESTIMATE_TABLES) -> pd.DataFrame:
    """Every estimate of the parent run and of each specification, side by side: specification ('' for this run),
    label, model, group, policy, odds ratio with CI and p, sample, source, the ratio of the odds ratio to this run's
    and whether the 95% interval's verdict (excludes 1 or not) differs from this run's."""
    base = read_estimates(parent, tables).assign(specification="", label=BASELINE)
    frames = [base] + [read_estimates(layout, tables).assign(specification=spec.text, label=spec.label)
                       for spec, layout, _ in runs]
    out = pd.concat(frames, ignore_index=True)
    key = ["model", "group", "policy"]
    ref = base.set_index(key)
    joined = out.join(ref[["odds_ratio", "ci_low", "ci_high"]], on=key, rsuffix="_this_run")
    out["or_ratio_to_this_run"] = joined["odds_ratio"] / joined["odds_ratio_this_run"]
    out["verdict_differs"] = [
        _excludes_one(a, b) != _excludes_one(c, d)
        for a, b, c, d in zip(joined["ci_low"], joined["ci_high"], joined["ci_low_this_run"], joined["ci_high_this_run"])]
    return out[["specification", "label", *ESTIMATE_COLUMNS[:7], "or_ratio_to_this_run", "verdict_differs",
                *ESTIMATE_COLUMNS[7:]]]


def _move(rows: pd.DataFrame) -> dict:
    """The row whose odds ratio moves most from this run's (in log terms): policy, group, label, from, to."""
    top = rows.loc[rows["or_ratio_to_this_run"].map(math.log).abs().idxmax()]
    return {"policy": str(top["policy"]), "group": str(top["group"]), "specification": str(top["label"]),
            "from": float(top["odds_ratio"] / top["or_ratio_to_this_run"]), "to": float(top["odds_ratio"])}


def summary(table: pd.DataFrame) -> dict:
    """What the manuscript quotes: number of specifications and of specification x cell comparisons, how many change
    the 95% verdict, the largest move of an odds ratio overall and among the pooled (all persons) estimates, and the
    specifications under which no odds ratio moves by more than UNCHANGED."""
    alt = table[(table["specification"] != "") & (table["model"] == "hybrid_logit")]
    if alt.empty:
        return {"count": 0, "comparisons": 0, "verdict_changes": 0, "largest": None, "largest_pooled": None,
                "unchanged": []}
    shift = alt["or_ratio_to_this_run"].map(math.log).abs()
    unchanged = [label for label, s in shift.groupby(alt["label"], sort=False).max().items() if s <= math.log1p(UNCHANGED)]
    pooled = alt[alt["group"] == "all"]
    return {"count": int(alt["specification"].nunique()), "comparisons": int(len(alt)),
            "verdict_changes": int(alt["verdict_differs"].sum()), "largest": _move(alt),
            "largest_pooled": _move(pooled) if len(pooled) else None, "unchanged": unchanged}


# The specification curve (Simonsohn, Simmons and Nelson 2020): every specification's within odds ratio per policy
# and group, ordered by estimate, with the choices each one makes. The choices it marks, in the matrix's order
# (run parameters, plus the estimator), with readable names; a specification changing another key adds its row.
CHOICES = {"exposure_rule": "Exposure rule", "cluster": "Clustering", "survey_weights": "Survey weights",
           "sc_end": "SC end", "city_policies": "City policies", "year_only_dates": "Year-only dates",
           "month_coding": "Month coding", "agreement_start": "287(g) start", "estimator": "Estimator"}
VALUE_LABELS = {("exposure_rule", "any"): "any day", ("exposure_rule", "all"): "all days",
                ("exposure_rule", "share"): "share of days", ("exposure_rule", "at_interview"): "at interview",
                ("survey_weights", False): "no", ("survey_weights", True): "yes",
                ("sc_end", "window_end"): "on through 2014", ("sc_end", "suspension"): "suspension 2014-11-20",
                ("city_policies", "ignore"): "ignored", ("city_policies", "county"): "whole county",
                ("city_policies", "population_share"): "population share",
                ("year_only_dates", "july_1"): "1 July", ("year_only_dates", "january_1"): "1 January",
                ("year_only_dates", "december_31"): "31 December", ("year_only_dates", "drop"): "dropped",
                ("month_coding", "any_day"): "any day", ("month_coding", "majority"): "majority of days",
                ("month_coding", "full_month"): "full month",
                ("agreement_start", "signing"): "signing", ("agreement_start", "operation"): "first operation",
                ("estimator", "hybrid_logit"): "between-within logit", ("estimator", "conditional_logit"): "conditional logit"}
# The other estimator: the parent run's conditional logit (notebook 05), the within-person estimator of the same
# odds ratios, with every other choice this run's. Variants do not rerun notebook 05 (about 50 s each).
ESTIMATOR_TABLE = "tables/robustness.csv"
ESTIMATOR_SPECIFICATION = "estimator=conditional_logit"
CURVE_GROUPS = ("all", "latino")  # all persons and the paper's focus
CURVE_COLUMNS = ("specification", "label", "model", "group", "policy", "odds_ratio", "ci_low", "ci_high", "p_value",
                 "source")
SAME_ESTIMATE = 1e-9  # relative: an odds ratio this close to this run's is the same point estimate


def estimator_rows(parent: Layout, groups=CURVE_GROUPS) -> pd.DataFrame:
    """The parent run's conditional-logit odds ratios (tables/robustness.csv of notebook 05) as one more
    specification of the curve: estimator = conditional logit, every other choice this run's."""
    f = parent.resolve(ESTIMATOR_TABLE)
    if not f.is_file():
        raise SpecificationError(f"{f} not found: the specifications stage reads the conditional logit of the robustness "
                                 f"stage; run it first (fedlocal run --only robustness)")
    rows = _released_numbers(pd.read_csv(f, dtype={"group": str, "policy": str}))
    rows = rows[(rows["model"] == "conditional_logit") & rows["group"].isin(groups)]
    return rows.assign(specification=ESTIMATOR_SPECIFICATION, label="Conditional logit")[list(CURVE_COLUMNS)]


def _choices_of(text: str) -> dict:
    """The choices a specification changes (this run: none)."""
    if text == ESTIMATOR_SPECIFICATION:
        return {"estimator": "conditional_logit"}
    return parse(text).overrides if text else {}


def curve(table: pd.DataFrame, values: dict, estimator: pd.DataFrame | None = None,
          groups=CURVE_GROUPS) -> pd.DataFrame:
    """The specification curve as a table: per policy x group, every specification (the hybrid model of this run
    and of each variant in `table`, from `collect`; the conditional logit in `estimator`) ranked by odds ratio
    (1 = smallest; ties keep this run first, then the order given), with its 95% CI, whether the CI excludes 1,
    whether it is this run, whether its point estimate is this run's (a change of clustering moves only the
    interval), and one `choice_<key>` column per choice (CHOICES, then any other key a specification changes)."""
    rows = table[(table["model"] == "hybrid_logit") & table["group"].isin(groups)]
    rows = rows[list(CURVE_COLUMNS)]
    if estimator is not None and len(estimator):
        rows = pd.concat([rows, estimator[rows.columns]], ignore_index=True)
    rows = rows.dropna(subset=["odds_ratio"])  # a fit that failed in a cell (a tiny CI sample) has no place on its curve
    texts = list(dict.fromkeys(rows["specification"]))
    changes = {t: _choices_of(t) for t in texts}
    keys = list(CHOICES) + [k for t in texts for k in changes[t] if k not in CHOICES]
    keys = list(dict.fromkeys(keys))
    own = {k: values.get(k, "hybrid_logit" if k == "estimator" else None) for k in keys}
    order = {t: i for i, t in enumerate(texts)}
    out = rows.assign(this_run=rows["specification"] == "", excludes_one=[_excludes_one(lo, hi) for lo, hi in
                                                                         zip(rows["ci_low"], rows["ci_high"])])
    base = out[out["this_run"]].set_index(["policy", "group"])["odds_ratio"]
    here = base.reindex(pd.MultiIndex.from_frame(out[["policy", "group"]])).to_numpy()
    out["same_estimate_as_this_run"] = abs(out["odds_ratio"].to_numpy() / here - 1) <= SAME_ESTIMATE
    for k in keys:
        out[f"choice_{k}"] = [str({**own, **changes[t]}[k]) for t in out["specification"]]
    out = out.assign(_order=out["specification"].map(order), _policy=out["policy"].map(
        {p: i for i, p in enumerate(("sc", "jem", "tfm", "antidetainer"))}), _group=out["group"].map(
        {g: i for i, g in enumerate(groups)}))
    out = out.sort_values(["_policy", "_group", "odds_ratio", "this_run", "_order"],
                          ascending=[True, True, True, False, True], kind="mergesort")
    out.insert(0, "rank", out.groupby(["policy", "group"]).cumcount() + 1)
    return out.drop(columns=["_order", "_policy", "_group"]).reset_index(drop=True)[
        ["policy", "group", "rank", "specification", "label", "model", "odds_ratio", "ci_low", "ci_high", "p_value",
         "excludes_one", "this_run", "same_estimate_as_this_run", *[f"choice_{k}" for k in keys], "source"]]


def choice_rows(curve_table: pd.DataFrame) -> list[tuple[str, str]]:
    """The rows of the choice matrix: (choice key, value) for every value some specification uses, choice by choice
    in CHOICES order, this run's value first, then the others in the order the parameter lists them."""
    rows = []
    this = curve_table[curve_table["this_run"]].iloc[0]
    for column in (c for c in curve_table.columns if c.startswith("choice_")):
        key = column.removeprefix("choice_")
        used = set(curve_table[column])
        allowed = [str(c) for c in (params.SCHEMA[key].choices or ())] if key in params.SCHEMA else []
        if key == "survey_weights":
            allowed = ["False", "True"]
        ordered = [this[column]] + [v for v in allowed if v in used and v != this[column]] \
            + sorted(v for v in used if v != this[column] and v not in allowed)
        rows += [(key, v) for v in ordered]
    return rows


def choice_label(key: str, value: str) -> str:
    """'Exposure rule: any day' for the matrix row of `key` = `value` (value as the curve table stores it)."""
    typed = {"True": True, "False": False}.get(value, value) if key == "survey_weights" else value
    return f"{CHOICES.get(key, key)}: {VALUE_LABELS.get((key, typed), value)}"


def curve_summary(curve_table: pd.DataFrame) -> pd.DataFrame:
    """Per policy x group: specifications, this run's odds ratio and rank, median, smallest and largest odds ratio,
    and how many 95% intervals exclude 1 (what the manuscript quotes)."""
    out = []
    for (policy, group), cell in curve_table.groupby(["policy", "group"], sort=False):
        this = cell[cell["this_run"]].iloc[0]
        out.append({"policy": policy, "group": group, "specifications": len(cell), "this_run": this["odds_ratio"],
                    "this_run_rank": int(this["rank"]), "median": float(cell["odds_ratio"].median()),
                    "smallest": float(cell["odds_ratio"].min()), "largest": float(cell["odds_ratio"].max()),
                    "excluding_one": int(cell["excludes_one"].sum()),
                    "above_one": int((cell["odds_ratio"] > 1).sum())})
    return pd.DataFrame(out)


def same_estimates(curve_table: pd.DataFrame) -> list[str]:
    """Labels of the specifications whose point estimates are this run's in every cell of the curve (e.g. a change
    of clustering, which moves only the intervals), in the order they appear."""
    alt = curve_table[~curve_table["this_run"]]
    same = alt.groupby("label", sort=False)["same_estimate_as_this_run"].all()
    return [label for label, s in same.items() if s]
