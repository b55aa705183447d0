"""Wall time and peak memory of stage 03 for the synthetic source: draw the panel, link exposure, draw outcomes
(issue 5's budget: 60 s, 4 GB).

Usage: python benchmarks/ncvs_generation.py [--scale 1.0] [--input-dir RUN_DIR]
RUN_DIR holds data/county-covariates.parquet and data/policy-spells.csv from stages 'counties' and 'policies'
(default: the canonical data/derived/). Not a test: timings depend on the machine and its load.
"""

import argparse
import resource
import time

import numpy as np
import pandas as pd

from fedlocal.exposure.interviews import link_exposure
from fedlocal.params import SCHEMA
from fedlocal.paths import layout
from fedlocal.synthetic import outcomes, panel

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--scale", type=float, default=SCHEMA["scale"].default)
parser.add_argument("--input-dir", default="")
args = parser.parse_args()
source_dir = layout(args.input_dir)
counties = pd.read_parquet(source_dir.data / "county-covariates.parquet")
spells = pd.read_csv(source_dir.data / "policy-spells.csv", dtype=str, keep_default_na=False)
start = time.perf_counter()
random_generator = np.random.default_rng(SCHEMA["seed"].default)
synthetic_panel = panel.draw_panel(counties, args.scale, random_generator)
drawn = time.perf_counter()
interviews = synthetic_panel.interviews.join(link_exposure(synthetic_panel.interviews, spells))
linked = time.perf_counter()
interviews, _ = outcomes.draw_outcomes(synthetic_panel, interviews, counties, random_generator,
                                       SCHEMA["planted_odds_ratios"].default)
wall = time.perf_counter() - start
peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # Linux reports KiB
print(f"scale {args.scale:g}: {len(interviews):,} interviews, {interviews['person_id'].nunique():,} persons, "
      f"{interviews['county_fips'].nunique()} counties")
print(f"panel {drawn - start:.1f} s, link exposure {linked - drawn:.1f} s, outcomes {start + wall - linked:.1f} s")
print(f"panel + exposure + outcomes: {wall:.1f} s wall, peak RSS {peak_gb:.2f} GB (budget 60 s, 4 GB)")
