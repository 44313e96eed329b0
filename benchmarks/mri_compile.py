"""Benchmark: does `torch.compile`, channels_last or a fused optimizer make the MRI training step faster on this CPU?

Inputs: the demo slice store, as in mri_train.py. Each variant is the engine's training step (autocast, loss, backward,
gradient clipping, Adam) of the run's default model, built side by side in one process:
  eager           the step as advae runs it (the reference)
  channels_last   model and batches in NHWC
  fused_adam      `Adam(fused=True)` and one foreach gradient norm
  compile         `torch.compile(model.loss)`: forward and loss compiled by Inductor (C++ on CPU), their backward through AOTAutograd
  compile+channels_last
Variants run in blocks of a few steps, in alternating order, for several rounds; each round's block throughput divided by
eager's in the same round gives a ratio, so load from other processes hits all variants alike. A variant counts as faster
(slower) when at least 90% of its rounds are. Compile time (build and the first three steps, less eager's) is reported apart.

    python benchmarks/mri_compile.py [--run DIR] [--precision fp32|bf16|auto] [--batch N] [--threads N] [--rounds N]

Not part of `make bench` (compiling takes one to two minutes per variant on 2 cores). Writes
benchmarks/results/mri_compile_cpu.json (one entry per precision, batch and thread count; a rerun replaces its own entry)
and prints a table. To see an AVX2-only CPU on one with AVX-512, cap every kernel library:
`ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2` (recorded in the result's machine block).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

from _common import machine, result_path
from advae.core.errors import set_quiet
from advae.core.io import write_json
from advae.mri.pipeline import MRIRun
from advae.training import resolve_precision
from mri_train import _stepper, demo_run

METHOD = ("variants built side by side in one process and run in blocks of steps_per_block steps, in alternating order, for `rounds` "
          "rounds; a ratio is a block's slices/s over eager's in the same round; 'faster' ('slower') when at least 90% of the rounds "
          "are; compile_seconds is a variant's build and first 3 steps less eager's")
VARIANTS = {"eager": {}, "channels_last": {"channels_last": True}, "fused_adam": {"fused": True},
            "compile": {"compiled": True}, "compile+channels_last": {"compiled": True, "channels_last": True}}


def quantile(xs: list[float], q: float) -> float:
    "The `q` quantile of `xs` (nearest rank)."
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def verdict(ratios: list[float]) -> str:
    "'faster' when at least 90% of the rounds are faster than eager, 'slower' when at least 90% are slower, else 'no clear difference'."
    if quantile(ratios, 0.1) > 1: return "faster"
    if quantile(ratios, 0.9) < 1: return "slower"
    return "no clear difference"


def compare(run_path: str, precision: str, batch: int, rounds: int, steps: int, names: list[str]) -> dict:
    "Every variant in `names` built in this process, then `rounds` rounds of `steps` steps each, interleaved: slices/s and ratios to eager."
    built, warm = {}, {}
    for n in names:
        t0 = time.perf_counter()
        built[n] = _stepper(run_path, "cpu", precision, batch=batch, **({"channels_last": False} | VARIANTS[n]))[:2]
        warm[n] = time.perf_counter() - t0   # building, and the first 3 steps (the compile for compiled variants)
        print(f"  {n}: built and 3 warm-up steps in {warm[n]:.1f} s", flush=True)
    speed = {n: [] for n in names}
    t_all = time.perf_counter()
    for r in range(rounds):
        for n in (names if r % 2 == 0 else names[::-1]):
            step, batches = built[n]
            t0 = time.perf_counter()
            for k in range(steps): step(batches[(r * steps + k) % len(batches)])
            speed[n].append(steps * batch / (time.perf_counter() - t0))
    out = {"precision": precision, "batch": batch, "threads": torch.get_num_threads(), "rounds": rounds, "steps_per_block": steps,
           "timed_seconds": round(time.perf_counter() - t_all, 1), "load_average_after": [round(x, 2) for x in os.getloadavg()],
           "variants": []}
    for n in names:
        ratios = [a / b for a, b in zip(speed[n], speed["eager"])]
        out["variants"].append({
            "variant": n, "slices_per_s_median": statistics.median(speed[n]), "slices_per_s_best": max(speed[n]),
            "ratio_to_eager_median": statistics.median(ratios), "ratio_iqr": [quantile(ratios, 0.25), quantile(ratios, 0.75)],
            "ratio_10_90": [quantile(ratios, 0.1), quantile(ratios, 0.9)], "verdict": "reference" if n == "eager" else verdict(ratios),
            "warmup_seconds": round(warm[n], 1), "compile_seconds": round(warm[n] - warm["eager"], 1) if "compile" in n else None,
            "slices_per_s": [round(x, 1) for x in speed[n]]})
    return out


def main() -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--run", help="an already preprocessed demo run (default: preprocess the demo into a temporary folder)")
    p.add_argument("--precision", default="fp32", help="fp32, bf16 or auto (the engine's choice on this CPU); default fp32")
    p.add_argument("--batch", type=int, help="batch size (default: the run's, 8)")
    p.add_argument("--threads", type=int, help="torch threads (default: torch's, one per core)")
    p.add_argument("--rounds", type=int, default=16)
    p.add_argument("--steps", type=int, default=4, help="steps per block")
    p.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, eager first (default: all of {', '.join(VARIANTS)})")
    a = p.parse_args()
    names = a.variants.split(",")
    if names[0] != "eager" or set(names) - set(VARIANTS): p.error(f"--variants: eager first, then any of {', '.join(VARIANTS)}")
    if a.threads: torch.set_num_threads(a.threads)
    set_quiet(True)
    tmp = tempfile.TemporaryDirectory()
    run = MRIRun(Path(a.run)) if a.run else demo_run(Path(tmp.name)/"demo")
    precision = resolve_precision(a.precision, "cpu")
    batch = a.batch or run.config.train.batch_size
    mc = machine()
    print(f"MRI training step variants on {mc['cores']}-core {mc['cpu']} ({mc['isa']['torch_capability']}), {precision}, batch {batch}, "
          f"{torch.get_num_threads()} threads, load average {mc['load_average'][0]}", flush=True)
    entry = compare(str(run.path), precision, batch, a.rounds, a.steps, names) | {"machine": mc}
    path = result_path("mri_compile")
    old = json.loads(path.read_text())["runs"] if path.exists() else []
    key = lambda e: (e["precision"], e["batch"], e["threads"], e["machine"]["cpu"], json.dumps(e["machine"]["isa"], sort_keys=True))
    runs = [e for e in old if key(e) != key(entry)] + [entry]
    res = {"benchmark": "mri_compile", "device": "cpu", "machine": mc,
           "inputs": "the demo slice store (2 real brains, 60 slices each, 128x128); the engine's step of the run's default model",
           "method": METHOD, "runs": runs}
    write_json(path, res)
    for v in entry["variants"]:
        c = f"; compile {v['compile_seconds']:.0f} s" if v["compile_seconds"] is not None else ""
        print(f"  {v['variant']:24s} {v['slices_per_s_median']:6.1f} slices/s; to eager {v['ratio_to_eager_median']:.3f} "
              f"(IQR {v['ratio_iqr'][0]:.3f}-{v['ratio_iqr'][1]:.3f}, 10-90% {v['ratio_10_90'][0]:.3f}-{v['ratio_10_90'][1]:.3f}): {v['verdict']}{c}")
    return res


if __name__ == "__main__":
    main()
