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
