"""Wall time and peak memory of generating the synthetic NCVS panel and linking exposure (issue 5's budget: 60 s, 4 GB).

Usage: python benchmarks/ncvs_generation.py [--scale 1.0] [--input-dir RUN_DIR]
RUN_DIR holds data/county-covariates.parquet and data/policy-spells.csv from stages 'counties' and 'policies'
(default: the canonical data/derived/). Not a test: timings depend on the machine and its load.
"""

import argparse
import resource
import time

import pandas as pd

from fedlocal.data.ncvs import synthetic
from fedlocal.params import SCHEMA
from fedlocal.paths import layout

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--scale", type=float, default=SCHEMA["scale"].default)
parser.add_argument("--input-dir", default="")
args = parser.parse_args()
src = layout(args.input_dir)
counties = pd.read_parquet(src.data / "county-covariates.parquet")
spells = pd.read_csv(src.data / "policy-spells.csv", dtype=str, keep_default_na=False)
start = time.perf_counter()
df, info = synthetic.generate(counties, spells, scale=args.scale, seed=SCHEMA["seed"].default,
                              planted_odds_ratios=SCHEMA["planted_odds_ratios"].default)
wall = time.perf_counter() - start
peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # Linux reports KiB
print(f"scale {args.scale:g}: {len(df):,} interviews, {df['person_id'].nunique():,} persons, "
      f"{df['county_fips'].nunique()} counties")
print(f"generate + link exposure: {wall:.1f} s wall, peak RSS {peak_gb:.2f} GB (budget 60 s, 4 GB)")
