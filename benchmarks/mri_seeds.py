"""Benchmark: how much held-out SSIM varies with the seed, so that a CPU-vs-GPU difference can be judged against it.

Trains the default MRI model on the demo slices (two real brains, as in `mri_train.py`) once per seed, with the same
time-to-quality loop (held-out SSIM after every epoch, a budget of training seconds), and records each seed's curve.
`summary.py` compares a GPU run's curve (from `mri_train.py --device cuda`) with the spread over these seeds on the same epochs.
Not part of `make bench` (about 4 minutes per seed on 2 cores):

    python benchmarks/mri_seeds.py [--device cpu|cuda] [--seeds 1 2 3] [--budget SECONDS] [--run DIR]

Writes benchmarks/results/mri_seeds_<device>.json (with the card's name on CUDA).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from _common import machine, result_path
from advae.core.errors import set_quiet
from advae.core.io import write_json
from advae.mri.pipeline import MRIRun
from mri_train import demo_run, time_to_quality


def main() -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="seeds besides the run's own (mri_train.py uses that one)")
    p.add_argument("--budget", type=float, help="seconds of training per seed (default: 240 on CPU, 60 on CUDA, as in mri_train.py)")
    p.add_argument("--run", help="an already preprocessed demo run (default: preprocess the demo into a temporary folder)")
    a = p.parse_args()
    set_quiet(True)
    tmp = tempfile.TemporaryDirectory()
    run = MRIRun(Path(a.run)) if a.run else demo_run(Path(tmp.name)/"demo")
    budget = a.budget or (60.0 if a.device == "cuda" else 240.0)
    t0 = time.perf_counter()
    per_seed = []
    for s in a.seeds:
        q = time_to_quality(run, torch.device(a.device), budget, seed=s)
        per_seed.append({"seed": s} | {k: q[k] for k in ("best_test_ssim", "seconds_to_pass_pca", "epochs", "stopped", "curve")})
        print(f"  seed {s}: best held-out SSIM {q['best_test_ssim']:.3f} after {q['epochs']} epochs ({q['stopped']}); "
              f"passes PCA ({q['pca_baseline_ssim']:.3f}) after {q['seconds_to_pass_pca']} s")
    res = {"benchmark": "mri_seeds", "device": a.device, "machine": machine(), "budget_seconds": budget,
           "inputs": "the demo slice store (2 real brains, 60 slices each, 128x128), the run's own split; only the seed changes",
           "pca_baseline_ssim": q["pca_baseline_ssim"], "seeds": per_seed, "seconds": round(time.perf_counter() - t0, 1)}
    write_json(result_path("mri_seeds", a.device), res)
    return res


if __name__ == "__main__":
    main()
