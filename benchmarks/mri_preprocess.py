"""Benchmark: MRI preprocessing (T1 volumes -> the on-disk slice store) -- volumes per second across worker counts, and peak
memory, which must not grow with the number of subjects (slices stream into the store).

Inputs: SIMULATED subjects made from the two real demo brains (the MNI152 2009 template and Colin27): 16 volumes, each one of
the two shifted by up to 4 voxels along each axis with its intensities scaled by 0.9-1.1, written as Analyze 7.5 int16
.img/.hdr (the OASIS-1 format). Cohorts of more subjects reuse these 16 files under new IDs. They are not scans of distinct
people; slicing costs the same.

    python benchmarks/mri_preprocess.py [--subjects 16,64] [--workers 1,2]

Writes benchmarks/results/mri_preprocess_cpu.json and prints a table.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from _common import machine, memory_mb, result_path
from advae.core.errors import set_quiet
from advae.core.io import write_json
from advae.mri.io import Subject, demo_subjects, load_volume
from advae.mri.preprocess import build_store

FILES = 16


def simulated_cohort(folder: Path, seed: int = 0) -> list[Path]:
    "Write `FILES` SIMULATED variants of the demo brains as Analyze 7.5 int16 volumes into `folder`; returns their .img paths."
    import nibabel as nib
    rng = np.random.default_rng(seed)
    brains = [load_volume(s.path, reorient=True)[0] for s in demo_subjects()]
    out = []
    for i in range(FILES):
        v = np.roll(brains[i % len(brains)], tuple(rng.integers(-4, 5, 3)), axis=(0, 1, 2)) * rng.uniform(0.9, 1.1)
        v = np.clip(v / max(v.max(), 1e-6) * 3000, 0, 32767).astype(">i2")
        img = nib.AnalyzeImage(v, None, nib.AnalyzeHeader(endianness=">"))
        img.header.set_zooms((1.0, 1.0, 1.0))
        path = folder/f"SIMULATED_variant_{i:02d}.img"
        nib.save(img, path)
        out.append(path)
    return out


def slice_cohort(files: list[str], n: int, workers: int, out: str) -> dict:
    "Build a store of `n` subjects (cycling through `files`) with `workers` processes; time and peak memory (run in a fresh process)."
    set_quiet(True)
    subjects = [Subject(f"SIM{i:04d}", Path(files[i % len(files)])) for i in range(n)]
    base = memory_mb()["VmRSS"]
    t0 = time.perf_counter()
    store = build_store(subjects, out, n_slices=20, size=128, workers=workers)
    dt = time.perf_counter() - t0
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024   # the largest worker (KB on Linux)
    peak = memory_mb()["VmHWM"]
    return {"subjects": n, "workers": workers, "seconds": dt, "volumes_per_s": n / dt, "slices": len(store),
            "store_mb": (Path(out)/"slices.npy").stat().st_size / 2**20, "main_rss_before_mb": base, "main_peak_rss_mb": peak,
            "main_rise_mb": peak - base, "largest_worker_peak_rss_mb": kids if workers > 1 else None}


def main() -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--subjects", default="16,64", help="cohort sizes (comma-separated)")
    p.add_argument("--workers", default=",".join(str(w) for w in sorted({1, 2, min(4, os.cpu_count() or 1)})), help="worker counts")
    a = p.parse_args()
    sizes, workers = [int(v) for v in a.subjects.split(",")], [int(v) for v in a.workers.split(",")]
    set_quiet(True)
    t_all = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        files = [str(f) for f in simulated_cohort(Path(tmp))]
        rows = []
        for w in workers:
            for n in sizes:
                with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as ex:   # a fresh process: its own peak memory
                    rows.append(ex.submit(slice_cohort, files, n, w, f"{tmp}/store_{w}_{n}").result())
    rise = {w: [r["main_rise_mb"] for r in rows if r["workers"] == w] for w in workers}
    flat = all(max(v) - min(v) < 64 for v in rise.values())
    res = {"benchmark": "mri_preprocess", "machine": machine(),
           "inputs": f"SIMULATED: {FILES} variants (shifted, intensity-scaled) of the two real demo brains as Analyze 7.5 int16 volumes "
                     f"(197x233x189 and 181x217x181 voxels), reused under new IDs for larger cohorts; 20 slices per volume, 128x128",
           "runs": rows, "memory_flat_in_subjects": flat,
           "memory_note": "main-process peak resident memory rise while slicing; the store is written through a memory map and at most "
                          "2 x workers volumes are in flight, so it should not grow with the number of subjects (flat: within 64 MB)",
           "seconds": round(time.perf_counter() - t_all, 1)}
    write_json(result_path("mri_preprocess"), res)
    print(f"MRI preprocessing benchmark ({res['machine']['cores']} cores, {res['machine']['cpu']}); inputs SIMULATED from the 2 real demo brains")
    print(f"  {'workers':>7s} {'subjects':>8s} {'volumes/s':>9s} {'seconds':>7s} {'main peak RSS (rise)':>21s} {'largest worker':>14s} {'store':>8s}")
    for r in rows:
        wk = f"{r['largest_worker_peak_rss_mb']:.0f} MB" if r["largest_worker_peak_rss_mb"] else "-"
        print(f"  {r['workers']:7d} {r['subjects']:8d} {r['volumes_per_s']:9.2f} {r['seconds']:7.1f} "
              f"{r['main_peak_rss_mb']:12.0f} MB (+{r['main_rise_mb']:.0f}) {wk:>14s} {r['store_mb']:5.0f} MB")
    print(f"  memory {'does not grow' if flat else 'GROWS'} with the number of subjects")
    return res


if __name__ == "__main__":
    main()
