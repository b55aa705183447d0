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
run          run_pipeline, describe (`fedlocal list`), check (`fedlocal check`)
"""

from fedlocal.runner.execute import StageError
from fedlocal.runner.plan import Run, plan_run
from fedlocal.runner.run import check, describe, run_pipeline
from fedlocal.runner.stages import PipelineError, Stage, load_stages

__all__ = ["PipelineError", "Run", "Stage", "StageError", "check", "describe", "load_stages", "plan_run",
           "run_pipeline"]
