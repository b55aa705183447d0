"""`fedlocal` (or `python -m fedlocal`): run, list, check, data, render, reproduce, diff, params."""

from __future__ import annotations

import argparse
import sys
import time

from fedlocal import FedlocalError, params, paths, registry, runner


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--params", metavar="FILE", default=None,
                   help="parameter file (default: params/default.yaml, the canonical run)")
    p.add_argument("--set", dest="overrides", metavar="KEY=VALUE", action="append", default=[],
                   help="override one parameter (repeatable); makes the run a variant")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="write the run here instead of the canonical layout or results/runs/<name>-<hash>/")


def _jobs_option(p: argparse.ArgumentParser) -> None:
    from fedlocal.runner.slots import default_jobs

    p.add_argument("--jobs", metavar="N", default=None,
                   help=f"run up to N stage notebooks at once, each as soon as the stages it needs are done, each "
                        f"kernel with FEDLOCAL_BLAS_THREADS (default 1) BLAS threads; the outputs are the same for "
                        f"any N (default: the usable cores up to 2, here {default_jobs()})")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="fedlocal", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run the pipeline's stages (skipping those that are up to date)")
    _run_options(r)
    r.add_argument("--only", metavar="STAGE", nargs="+", help="run only these stages")
    r.add_argument("--force", action="store_true", help="rerun stages even when up to date")
    r.add_argument("--no-progress", action="store_true", help="no per-cell progress bar (none with --jobs above 1)")
    _jobs_option(r)

    ls = sub.add_parser("list", help="stages, their inputs and outputs, and whether each is up to date")
    _run_options(ls)

    c = sub.add_parser("check", help="validate parameters and verify every input's SHA-256; runs nothing")
    c.add_argument("--params", metavar="FILE", default=None)
    c.add_argument("--set", dest="overrides", metavar="KEY=VALUE", action="append", default=[])

    sub.add_parser("data", help="fetch (or copy from the mirror) and verify every raw input")
    sub.add_parser("params", help="print the parameter reference")

    rd = sub.add_parser("render",
                        help="render the manuscript to HTML and PDF (Quarto if installed, else pandoc + typst)")
    rd.add_argument("--engine", choices=("auto", "quarto", "pandoc"), default="auto")
    rd.add_argument("--run", metavar="DIR", default=None,
                    help="render a variant's outputs (a run folder) instead of the canonical ones")

    rp = sub.add_parser("reproduce", help="rebuild every stage from the raw inputs into a scratch folder and compare "
                                          "with the committed outputs; exit 1 on any difference")
    rp.add_argument("--params", metavar="FILE", default=None, help="parameter file (default: params/default.yaml)")
    rp.add_argument("--out", metavar="DIR", default=None,
                    help="scratch folder for the rebuild (default: results/reproduce/, git-ignored; emptied first)")
    rp.add_argument("--against", metavar="DIR", default=None,
                    help="compare with this run folder instead of the canonical outputs")
    rp.add_argument("--no-rebuild", action="store_true",
                    help="compare the rebuild already in --out again instead of rebuilding")
    _jobs_option(rp)

    df = sub.add_parser("diff", help="parameters, _variables.yml values and table cells that differ between two runs")
    df.add_argument("runs", metavar="RUN", nargs="+",
                    help="a run folder, a folder name under results/runs/, or 'canonical'; one RUN is compared "
                         "with the canonical run")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command != "params":  # the parameter reference is the package's own; the rest needs the project
            paths.require_project()
        if args.command == "run":
            runner.run_pipeline(args.params, args.overrides, only=args.only, out=args.out, force=args.force,
                                progress=not args.no_progress and sys.stderr.isatty(), jobs=args.jobs)
        elif args.command == "list":
            for row in runner.describe(args.params, args.overrides, args.out):
                s = row["stage"]
                took = f", last run {row['seconds']:.0f} s" if row["seconds"] is not None else ""
                print(f"{s.name:<11} {row['status']}{' (' + row['reason'] + ')' if row['reason'] else ''}{took}")
                print(f"  notebook: {s.notebook}")
                print(f"  params:   {', '.join(s.params) or '-'}")
                print(f"  inputs:   {', '.join(s.inputs) or '-'}")
                print(f"  needs:    {', '.join(s.needs) or '-'}")
                print(f"  outputs:  {', '.join(s.outputs) or '-'}")
        elif args.command == "check":
            runner.check(args.params, args.overrides)
        elif args.command == "data":
            t0 = time.monotonic()
            where = registry.mirror() or "upstream URLs"
            n = len(registry.entries())
            registry.fetch_all(progress=lambda i, k, name: print(f"[{i}/{k}] {name}", flush=True))
            print(f"{n} raw inputs verified in {time.monotonic() - t0:.1f} s (source: {where}; cache: "
                  f"{paths.relative_to_root(paths.RAW_CACHE)})")
        elif args.command == "params":
            print(params.document())
        elif args.command == "render":
            from fedlocal.manuscript import render

            render(engine=args.engine, run_dir=args.run)
        elif args.command == "reproduce":
            from fedlocal.runner.verify import reproduce

            if not reproduce(args.params, args.out, args.against, rebuild=not args.no_rebuild, jobs=args.jobs):
                return 1
        elif args.command == "diff":
            from fedlocal.runner.verify import diff

            if len(args.runs) > 2:
                raise runner.RunFolderError("fedlocal diff takes one or two runs")
            if not diff(*args.runs):
                return 1
    except FedlocalError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: outputs of unfinished stages were not moved into place", file=sys.stderr)
        return 130
    return 0
