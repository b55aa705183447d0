"""The library imports only what a stage uses: heavy estimation packages load inside the function that fits."""

import subprocess
import sys

HEAVY = ("statsmodels", "pyfixest", "differences", "pyreadr", "pyreadstat")


def test_importing_the_stage_modules_loads_no_heavy_estimation_package():
    code = ("import sys\n"
            "from fedlocal.models import adoption, estimate, eventtime, metro, pattern, staggered\n"
            "from fedlocal.data import covariates\n"
            "from fedlocal.report import figures, tables\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", f"imported at module level: {out}"


def test_the_policy_and_ncvs_stages_load_no_scipy_stats():
    """Stages 01 and 03 (the start of the run's critical path) need no distribution: scipy.stats (about a second
    to import) loads only in the stages and functions that test or fit."""
    code = ("import sys\n"
            "from fedlocal.data.policies import crosscheck, sensitivity, g287, panel\n"
            "from fedlocal.exposure.interviews import link_exposure\n"
            "from fedlocal.synthetic import calibration, outcomes, panel\n"
            "from fedlocal.report import figures, tables, variables\n"
            "print('scipy.stats' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False", "a module of stage 01 or 03 imports scipy.stats at module level"
