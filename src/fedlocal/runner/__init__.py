"""The pipeline runner: stages declared in pipeline.yaml, each a notebook executed by papermill.

Each stage runs in a fresh kernel with the run's parameters injected, writes into a staging folder,
and only when it has finished and every declared output exists are its outputs moved into place; so a
failing stage leaves the previous outputs untouched. A stage whose notebook, library code, parameters
and inputs are unchanged since its last successful run is skipped.

stages       the stage table (pipeline.yaml)
plan         where a run reads and writes, from its parameters
fingerprint  what a stage's result depends on, and whether it is up to date
execute      one stage: papermill in a staging folder, outputs checked and moved into place
manifest     the run's record (results/manifest.json): parameters, inputs, versions, git facts
lock         one run at a time per folder
run          run_pipeline (reusing stages another run built with the same fingerprint), describe (`fedlocal
             list`), check (`fedlocal check`), incomplete_stages (what `fedlocal render` refuses)
compare      what "the same output" means, output by output
verify       reproduce (`fedlocal reproduce`: rebuild and verdict) and diff (`fedlocal diff`)
"""

from fedlocal.runner.execute import StageError
from fedlocal.runner.lock import RunLockedError
from fedlocal.runner.plan import PlanError, Run, plan_run
from fedlocal.runner.run import check, describe, incomplete_stages, run_pipeline
from fedlocal.runner.stages import PipelineError, Stage, load_stages
from fedlocal.runner.verify import RunFolderError, diff, reproduce

__all__ = ["PipelineError", "PlanError", "Run", "RunFolderError", "RunLockedError", "Stage", "StageError", "check",
           "describe", "diff", "incomplete_stages", "load_stages", "plan_run", "reproduce", "run_pipeline"]
