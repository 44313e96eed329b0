"""Benchmark: MRI training on CPU or CUDA -- throughput, peak memory, FLOPs and the share of a matmul peak measured in the
same run, data-loader throughput, and time to quality.

Inputs: the demo slice store (two real brains, the MNI152 2009 average template and Colin27, 60 transverse slices each,
128x128 in [-1, 1], conditioned on which brain a slice comes from; built with the same settings as `advae mri run --data demo`).
The throughput steps cycle through the real training slices; time to quality trains the default model on them and follows
held-out (test-split) SSIM after every epoch.

    python benchmarks/mri_train.py [--device cpu|cuda] [--run DIR] [--budget SECONDS] [--all-variants]

On a CPU without bf16 dot-product units (no avx512_bf16 or amx_bf16: e.g. AVX2-only) the bf16 variants are skipped, and the
result says so (`skipped`, with the reason): there bf16 runs through slow conversion paths, at a tenth of the fp32 speed or
less, and would take most of the benchmark's time to show it. `--all-variants` runs them anyway.

Writes benchmarks/results/mri_train_<device>.json (with the card's name on CUDA) and prints a table.
"""
from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from _common import isa, machine, memory_mb, result_path
from advae.core.config import make_config
from advae.core.errors import set_quiet
from advae.core.io import write_json
from advae.mri.metrics import pca_baseline, reconstruction_metrics
from advae.mri.pipeline import DEMO_LABEL, MRI, MRIConfig, MRIRun, datasets
from advae.mri.preprocess import SliceDataset
from advae.models.conv import MRIVAE
from advae.pipeline import preprocess
from advae.training import EpochSampler, loader_workers, resolve_precision, train
from advae.training.steps import _autocast

BATCH = 32   # the reference batch for throughput


def demo_run(folder: Path) -> MRIRun:
    "The demo preprocessed as `advae mri run --data demo` does (conditioned on its brain label), into `folder`."
    cfg = make_config(MRIConfig, {"data.path": "demo", "data.label": DEMO_LABEL})
    return preprocess(MRI, cfg, folder)


def held_out_slices(run: MRIRun) -> SliceDataset:
    "The run's held-out test slices (the pipeline's `datasets` gives only training and validation), as a dataset."
    store, split, codes = run.store(), np.array(run.split()["split"]), run.codes()
    rows = np.flatnonzero(split == "test")
    return SliceDataset(store, rows, codes[rows])


def matmul_peak(device: torch.device, dtype: torch.dtype, n: int, reps: int = 5) -> float:
    """Best-of-`reps` GFLOP/s of an n x n by n x n matrix product in `dtype` on `device` (2 n^3 FLOPs each). On CPU the better
    of torch's matmul and the same product as a 1x1 convolution: fp32 matmul goes to MKL, which on AMD CPUs leaves vector
    units idle (about half of oneDNN's speed on a 2-core AVX-512 EPYC), while the model's convolutions run in oneDNN."""
    a, b = (torch.randn(n, n, device=device).to(dtype) for _ in range(2))
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    side = 64 if n % 64 == 0 else 1   # an image of n pixels (n / 64 x 64; a 1-pixel-wide one runs slower)
    x, w = (t.t().contiguous().reshape(shape) for t, shape in ((a, (1, n, n // side, side)), (b, (n, n, 1, 1))))   # conv2d(x, w) = (a @ b).t()
    products = [lambda: a @ b] + ([lambda: torch.conv2d(x, w)] if device.type == "cpu" else [])
    best = math.inf
    for f in products:
        for _ in range(2): f()
        sync()
        for _ in range(reps):
            t0 = time.perf_counter(); f(); sync()
            best = min(best, time.perf_counter() - t0)
    return 2 * n ** 3 / best / 1e9


def flops_per_slice(model: MRIVAE, x: torch.Tensor, y: torch.Tensor) -> dict:
    "FLOPs per slice of one training step (forward and backward of `model.loss`), counted by torch.utils.flop_counter."
    with FlopCounterMode(display=False) as fwd:
        out = model.loss([x, y], 1.0)
    with FlopCounterMode(display=False) as bwd:
        out["loss"].backward()
    model.zero_grad(set_to_none=True)
    f, b = fwd.get_total_flops() / len(x), bwd.get_total_flops() / len(x)
    return {"forward": f, "backward": b, "total": f + b}


def _batches(run: MRIRun, batch: int, device: torch.device, channels_last: bool) -> list[list[torch.Tensor]]:
    "The real training slices as device batches of `batch` (cycled to at least 4 batches)."
    tr = datasets(run)[0]
    x = torch.stack([tr[i][0] for i in range(len(tr))]); y = torch.as_tensor(tr.labels)
    reps = math.ceil(4 * batch / len(x))
    x, y = x.repeat(reps, 1, 1, 1), y.repeat(reps)
    out = []
    for i in range(0, len(x) - batch + 1, batch):
        xb = x[i:i + batch].to(device)
        out.append([xb.contiguous(memory_format=torch.channels_last) if channels_last else xb, y[i:i + batch].to(device)])
    return out


def _stepper(run_path: str, device: str, precision: str, channels_last: bool, batch: int, compiled: bool = False, fused: bool = False):
    """The engine's training step (autocast, loss, backward, gradient clipping, Adam) for the run's default model: (step, batches, sync).
    `compiled`: the loss (model forward, loss, and through AOTAutograd their backward) through `torch.compile`; `fused`: Adam's
    fused kernel and one foreach gradient norm (both for benchmarks/mri_compile.py; the engine uses neither)."""
    set_quiet(True)
    run, dev = MRIRun(Path(run_path)), torch.device(device)
    torch.manual_seed(run.config.seed)
    model = MRI.build_model(run).to(dev)
    if channels_last: model.to(memory_format=torch.channels_last)
    tc = replace(run.config.train, precision=precision, channels_last=channels_last, device=device)
    opt = torch.optim.Adam(model.parameters(), lr=tc.lr, fused=True if fused else None)
    loss = torch.compile(model.loss) if compiled else model.loss
    batches = _batches(run, batch, dev, channels_last)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)

    def step(b):
        with _autocast(dev, tc): out = loss(b, 1.0)
        opt.zero_grad(set_to_none=True)
        out["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tc.grad_clip, foreach=True if fused else None)
        opt.step()
        return out["loss"].detach()   # as in the engine: no device synchronisation per step

    model.train()
    for b in batches[:3]: step(b)   # warm-up
    sync()
    return step, batches, sync


def peak_size(device: torch.device, precision: str) -> int:
    """Side of the matmul that measures a peak: 8192 on CUDA, 2048 on CPU; 512 for bf16 on a CPU without bf16 units
    (there a 2048 bf16 product can take minutes)."""
    if device.type == "cuda": return 8192
    return 2048 if precision != "bf16" or isa()["bf16_units"] else 512


def step_throughput(run_path: str, device: str, precision: str, channels_last: bool, batch: int, seconds: float) -> dict:
    """Slices per second of the engine's training step, timed over about `seconds` after 3 warm-up steps, with peak memory
    (CPU: the process's resident memory, so run it in a fresh process; CUDA: the allocator's peak)."""
    dev = torch.device(device)
    peak = matmul_peak(dev, torch.bfloat16 if precision == "bf16" else torch.float32, peak_size(dev, precision))
    if device == "cuda": torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()   # the matmul's buffers are not the step's
    rss0 = memory_mb()["VmRSS"]
    step, batches, sync = _stepper(run_path, device, precision, channels_last, batch)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds or n < 3:
        step(batches[n % len(batches)]); n += 1
    sync()
    dt = time.perf_counter() - t0
    mem = ({"peak_gpu_mb": torch.cuda.max_memory_allocated() / 2**20} if device == "cuda" else
           {"peak_rss_mb": memory_mb()["VmHWM"], "rss_before_model_mb": rss0})
    return {"precision": precision, "channels_last": channels_last, "batch": batch, "steps": n, "seconds": dt,
            "slices_per_s": n * batch / dt, "threads": torch.get_num_threads(), "matmul_peak_here_gflops": peak} | mem


KINDS = {"convolution": ("conv",), "matrix product": ("addmm", "::mm", "bmm", "matmul", "linear"), "group norm": ("group_norm",),
         "SiLU / tanh": ("silu", "tanh"), "dtype casts and copies": ("copy_", "_to_copy", "::to")}


def profile_step(run_path: str, device: str, precision: str, batch: int, steps: int = 3) -> dict:
    "Share of a training step's time (self time of each operation: CPU, or CUDA kernels) by kind of operation, from torch.profiler."
    from torch.profiler import ProfilerActivity, profile
    step, batches, sync = _stepper(run_path, device, precision, False, batch)
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device == "cuda" else [])
    with profile(activities=acts) as prof:
        for i in range(steps): step(batches[i % len(batches)])
        sync()
    shares = dict.fromkeys([*KINDS, "other (elementwise, loss, optimizer)"], 0.0)
    for e in prof.key_averages():
        t = e.self_device_time_total if device == "cuda" else e.self_cpu_time_total
        if device == "cuda" and e.key.startswith("cuda"): continue   # runtime calls, not kernels
        kind = next((k for k, pats in KINDS.items() if any(p in e.key for p in pats)), "other (elementwise, loss, optimizer)")
        shares[kind] += t
    total = sum(shares.values()) or 1.0
    return {"precision": precision, "batch": batch, "shares": {k: v / total for k, v in shares.items()}}


def skipped_variants(isa: dict, device: str) -> list[dict]:
    """The variants not worth running on this device, each {'variant', 'reason'}: the bf16 ones on a CPU without bf16
    dot-product units (`isa` is `_common.isa()`); none on CUDA (every GPU that torch supports runs bf16 autocast at speed)."""
    if device == "cuda" or isa["bf16_units"]: return []
    return [{"variant": f"bf16 autocast (NCHW and channels_last at batch {BATCH}, its profile, its matmul peak)",
             "reason": f"this CPU has no bf16 dot-product units ("
                       + (f"oneDNN capped at {isa['caps']['ONEDNN_MAX_CPU_ISA']}" if "ONEDNN_MAX_CPU_ISA" in isa.get("caps", {}) else
                          "neither avx512_bf16 nor amx_bf16 among its flags")
                       + f"; torch uses {isa['torch_capability']} kernels), so bf16 would run through slow conversion paths (3.7-6.2 slices/s "
                       f"against 63.7 in fp32 on an AVX2-only EPYC) and take most of the benchmark's time; "
                       f"run with --all-variants to measure it anyway"}]


def in_fresh_process(fn, *args):
    "`fn(*args)` in a spawned process (its own peak memory), returning its result."
    with mp.get_context("spawn").Pool(1) as pool: return pool.apply(fn, args)


def loader_throughput(run: MRIRun, device: torch.device, batch: int = BATCH, seconds: float = 2.0) -> dict:
    """Slices per second that the engine's DataLoader (over the on-disk store, as in training) delivers to `device`, model-free;
    after one warm-up epoch (worker start-up), over at least `seconds`."""
    tr = datasets(run)[0]
    tc = replace(run.config.train, device=str(device))
    workers = loader_workers(tc, device)
    sampler = EpochSampler(len(tr), 0)
    dl = torch.utils.data.DataLoader(tr, batch_size=batch, sampler=sampler, pin_memory=device.type == "cuda", num_workers=workers,
                                     persistent_workers=workers > 0)
    n, e, t0 = 0, 0, None
    while t0 is None or time.perf_counter() - t0 < seconds:
        sampler.set_epoch(e)
        for x, y in dl: x.to(device, non_blocking=True); n += len(x) if t0 is not None else 0
        if device.type == "cuda": torch.cuda.synchronize()
        if t0 is None: t0 = time.perf_counter()
        e += 1
    return {"slices_per_s": n / (time.perf_counter() - t0), "batch": batch, "workers": workers, "pinned": device.type == "cuda"}


class _Budget(Exception): pass


def time_to_quality(run: MRIRun, device: torch.device, budget: float, seed: int | None = None) -> dict:
    """Train the run's default model (the engine, its default settings) for at most `budget` seconds of training and follow
    held-out SSIM of posterior-mean reconstructions after every epoch (evaluation time excluded); compare with the PCA
    baseline that `advae mri evaluate` reports (k = latent components, fitted on the training slices). `seed` replaces the run's
    seed for the model's initialisation and the training order (the split stays the run's)."""
    cfg = run.config if seed is None else replace(run.config, seed=seed)
    (tr, va), te = datasets(run), held_out_slices(run)
    x_tr = np.asarray(tr.slices[tr.rows], dtype=np.float32)
    x_te = np.asarray(te.slices[te.rows], dtype=np.float32)
    k = min(cfg.model.latent, len(x_tr) - 1)
    pca_ssim = reconstruction_metrics(x_te, pca_baseline(x_tr, k, cfg.seed)(x_te))["ssim"]
    xt, yt = torch.from_numpy(x_te)[:, None].to(device), torch.as_tensor(te.labels).to(device)
    torch.manual_seed(cfg.seed)
    model = MRI.build_model(run)
    tc = replace(cfg.train, device=str(device))
    curve, clock = [], {"eval": 0.0, "t0": time.perf_counter()}

    def on_epoch(epoch: int, m: MRIVAE, rec: dict) -> None:
        t1 = time.perf_counter()
        t = t1 - clock["t0"] - clock["eval"]   # training seconds so far: evaluation time excluded
        with torch.no_grad():
            rec_x = m.decode(m.encode(xt, yt)[0], yt)[:, 0].float().cpu().numpy()
        s = reconstruction_metrics(x_te, rec_x)["ssim"]
        clock["eval"] += time.perf_counter() - t1
        curve.append({"epoch": epoch, "train_seconds": round(t, 2), "test_ssim": round(s, 4), "val_mse": rec["val_mse"]})
        if t > budget: raise _Budget

    stopped = "early stopping or max epochs"
    try: train(model, tr, va, tc, cfg.seed, progress=False, on_epoch=on_epoch)
    except _Budget: stopped = f"time budget ({budget:.0f} s)"
    best = max(c["test_ssim"] for c in curve)
    first = lambda ok: next((c for c in curve if ok(c)), None)
    passed, near = first(lambda c: c["test_ssim"] > pca_ssim), first(lambda c: c["test_ssim"] >= best - 0.01)
    t_train = curve[-1]["train_seconds"]
    low = min(c["val_mse"] for c in curve)
    flat = first(lambda c: c["val_mse"] <= 1.02 * low)   # the validation plateau: within 2% of the best validation MSE
    return {"seconds_to_validation_plateau": flat["train_seconds"], "epoch_validation_plateau": flat["epoch"],
            "pca_baseline_ssim": pca_ssim, "pca_components": k, "best_test_ssim": best, "epochs": len(curve), "stopped": stopped,
            "seconds_to_pass_pca": passed and passed["train_seconds"], "epoch_pass_pca": passed and passed["epoch"],
            "seconds_to_within_0.01_of_best": near["train_seconds"], "epoch_within_0.01_of_best": near["epoch"],
            "train_seconds": t_train, "evaluation_seconds_excluded": round(clock["eval"], 2),
            "engine_slices_per_s": len(tr) * len(curve) / t_train, "n_train": len(tr), "n_test": len(te),
            "batch": tc.batch_size, "precision": resolve_precision(tc.precision, tc.device), "curve": curve,
            "note": "engine throughput includes data loading, the per-epoch validation (4 posterior draws) and no checkpoint writes"}


def main() -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--run", help="an already preprocessed demo run (default: preprocess the demo into a temporary folder)")
    p.add_argument("--budget", type=float, help="seconds of training for time to quality (default: 240 on CPU, 60 on CUDA)")
    p.add_argument("--seconds", type=float, default=6.0, help="timed seconds per throughput variant")
    p.add_argument("--all-variants", action="store_true",
                   help="run the bf16 variants on a CPU without bf16 units too (skipped by default there: slow, see above)")
    a = p.parse_args()
    dev = torch.device(a.device)
    set_quiet(True)
    tmp = tempfile.TemporaryDirectory()
    run = MRIRun(Path(a.run)) if a.run else demo_run(Path(tmp.name)/"demo")
    cfg = run.config
    t_all = time.perf_counter()
    torch.manual_seed(0)
    m = MRI.build_model(run)
    res = {"benchmark": "mri_train", "device": a.device, "machine": machine(),
           "inputs": "the demo slice store: 2 real brains (MNI152 2009 template, Colin27), 60 slices each, 128x128, conditioned on the brain",
           "model": asdict(m.config) | {"parameters": sum(p.numel() for p in m.parameters())}}
    # counted FLOPs and the measured matmul peak
    b = _batches(run, BATCH, torch.device("cpu"), False)[0]
    res["flops_per_slice"] = flops_per_slice(m, *b)
    # bf16 only where the device has units for it, unless asked for all variants
    res["skipped"] = [] if a.all_variants else skipped_variants(res["machine"]["isa"], a.device)
    precisions = ["fp32"] + (["bf16"] if not res["skipped"] else [])
    res["matmul_peak_gflops"] = {p_: matmul_peak(dev, torch.float32 if p_ == "fp32" else torch.bfloat16, peak_size(dev, p_)) for p_ in precisions}
    res["matmul_peak_gflops"]["n"] = peak_size(dev, "fp32")
    if "bf16" in precisions and peak_size(dev, "bf16") != peak_size(dev, "fp32"): res["matmul_peak_gflops"]["n_bf16"] = peak_size(dev, "bf16")
    if dev.type == "cuda": res["matmul_peak_gflops"]["tf32_allowed"] = torch.backends.cuda.matmul.allow_tf32
    # the training step: precisions x memory formats at batch 32, and the run's default batch; larger batches on CUDA
    auto = resolve_precision(cfg.train.precision, a.device)
    variants = [(p_, cl, BATCH) for p_ in precisions for cl in (False, True)]
    default = (auto, cfg.train.channels_last, cfg.train.batch_size)
    variants += [default] if default not in variants else []
    if dev.type == "cuda": variants += [(auto, False, 256)]
    rows = []
    for p_, cl, bs in variants:
        args = (str(run.path), a.device, p_, cl, bs, a.seconds)
        r = step_throughput(*args) if dev.type == "cuda" else in_fresh_process(step_throughput, *args)
        gf = r["slices_per_s"] * res["flops_per_slice"]["total"] / 1e9
        # the better of two measurements in this run (one only for the advae default when its precision was skipped: under caps)
        peak = max(res["matmul_peak_gflops"].get(p_, 0.0), r["matmul_peak_here_gflops"])
        r |= {"gflops": gf, "share_of_matmul_peak": gf / peak, "matmul_peak_gflops": peak, "advae_default": (p_, cl, bs) == default}
        rows.append(r)
    res["step"] = rows
    res["default"] = {"precision": auto, "channels_last": cfg.train.channels_last, "batch_size": cfg.train.batch_size,
                      "threads": torch.get_num_threads(), "loader_workers": loader_workers(cfg.train, dev)}
    res["profile"] = [(profile_step if dev.type == "cuda" else lambda *x: in_fresh_process(profile_step, *x))(str(run.path), a.device, p_, BATCH)
                      for p_ in precisions]
    res["loader"] = loader_throughput(run, dev)
    budget = a.budget or (60.0 if dev.type == "cuda" else 240.0)
    res["time_to_quality"] = time_to_quality(run, dev, budget)
    res["notes"] = notes(res)
    res["seconds"] = round(time.perf_counter() - t_all, 1)
    write_json(result_path("mri_train", a.device), res)
    print_table(res)
    return res


def notes(res: dict) -> list[str]:
    "What bounds the step, in plain sentences from this run's figures."
    ref = next(r for r in res["step"] if r["batch"] == BATCH and r["precision"] == "fp32" and not r["channels_last"])
    best = max(res["step"], key=lambda r: r["slices_per_s"])
    out = ["FLOPs count convolutions and matrix products only (torch.utils.flop_counter); GroupNorm, SiLU, the loss and Adam are "
           "memory-bound work that the count leaves out, so the share of the matmul peak understates how busy the processor is.",
           f"fp32 at batch {BATCH}: {ref['share_of_matmul_peak']:.0%} of the fp32 matmul peak "
           + ("(meets the 70% target)." if ref["share_of_matmul_peak"] >= 0.7 else "(below the 70% target).")]
    bf = next((r for r in res["step"] if r["batch"] == BATCH and r["precision"] == "bf16" and not r["channels_last"]), None)
    prof = {p["precision"]: p["shares"] for p in res["profile"]}
    conv = lambda r: r["gflops"] / prof[r["precision"]]["convolution"]   # GFLOP/s while convolving
    if bf: out.append(f"bf16 autocast at batch {BATCH}: {bf['slices_per_s'] / ref['slices_per_s']:.2f}x the fp32 speed, {bf['share_of_matmul_peak']:.0%} "
                      f"of the bf16 matmul peak ({bf['gflops']:.0f} GFLOP/s against {bf['matmul_peak_gflops']:.0f}).")
    out += [f"skipped: {s['variant']}: {s['reason']}" for s in res.get("skipped", [])]
    both = [r for r in (ref, bf) if r]   # fp32, and bf16 where it ran
    each = lambda f: " and ".join(f"{f(r)} ({r['precision']})" for r in both)   # one figure per precision
    share = each(lambda r: f"{prof[r['precision']]['convolution']:.0%}")
    if prof["fp32"]["convolution"] < 0.5:
        big = max(res["step"], key=lambda r: r["batch"])
        out.append(f"what bounds the step: convolutions take only {share} of its time; the rest is many small elementwise kernels "
                   f"(group norm, activations, the loss, Adam) and their launches, so the device is far from its matmul peak at small "
                   f"batches: batch {big['batch']} gives {big['slices_per_s']:.0f} slices/s.")
    else:
        eff = min(conv(r) / r["matmul_peak_gflops"] for r in both)
        out.append(f"what bounds the step: convolutions take {share} of its time and run at about {each(lambda r: f'{conv(r):.0f} GFLOP/s')} "
                   f"while they do ({each(lambda r: format(conv(r) / r['matmul_peak_gflops'], '.0%'))} of the matmul peak); "
                   + ("the narrow layers (16-128 channels) give the convolution kernels short inner products; " if eff < 0.7 else
                      "the convolutions run near the peak; ")
                   + "the rest of the step is group norm, activations, casts and Adam, which the FLOP count leaves out.")
    out.append(f"fastest variant here: {best['precision']}{' channels_last' if best['channels_last'] else ''} at batch {best['batch']} "
               f"({best['slices_per_s']:.0f} slices/s).")
    ld, st = res["loader"]["slices_per_s"], max(r["slices_per_s"] for r in res["step"] if r["batch"] == BATCH)
    out.append(f"the data loader delivers {ld:.0f} slices/s, {ld / st:.1f}x what the fastest batch-{BATCH} step consumes: "
               + ("loading does not starve the model." if ld > 2 * st else "loading can bound training here."))
    return out


def print_table(res: dict) -> None:
    mc, f = res["machine"], res["flops_per_slice"]
    print(f"MRI training benchmark on {res['device']} ({mc['gpu'] or mc['cpu']}, {mc['cores']} cores, torch {mc['torch']}, {mc['torch_threads']} threads)")
    print(f"  model: {res['model']['parameters']:,} parameters; {f['total'] / 1e9:.2f} GFLOP per slice per training step "
          f"(forward {f['forward'] / 1e9:.2f}, backward {f['backward'] / 1e9:.2f})")
    pk = res["matmul_peak_gflops"]
    print(f"  measured matmul peak: " + ", ".join(f"{p_} {pk[p_]:.0f} GFLOP/s (n={pk.get('n_' + p_, pk['n'])})" for p_ in ("fp32", "bf16") if p_ in pk))
    isa_ = mc["isa"]
    print(f"  instruction sets: {' '.join(isa_['flags'])}; torch kernels {isa_['torch_capability']}; bf16 units: "
          f"{'yes' if isa_['bf16_units'] else 'no'}{'; caps ' + str(isa_['caps']) if isa_['caps'] else ''}")
    for s_ in res.get("skipped", []): print(f"  skipped: {s_['variant']}: {s_['reason']}")
    gpu = res["device"] == "cuda"
    print(f"  {'precision':9s} {'format':13s} {'batch':>5s} {'slices/s':>9s} {'GFLOP/s':>8s} {'of peak':>7s}  "
          + ("peak GPU memory" if gpu else "peak RSS (rise over the process before the model)"))
    for r in res["step"]:
        mem = f"{r['peak_gpu_mb']:.0f} MB" if gpu else f"{r['peak_rss_mb']:.0f} MB (+{r['peak_rss_mb'] - r['rss_before_model_mb']:.0f})"
        print(f"  {r['precision']:9s} {'channels_last' if r['channels_last'] else 'NCHW':13s} {r['batch']:5d} {r['slices_per_s']:9.1f} "
              f"{r['gflops']:8.1f} {r['share_of_matmul_peak']:7.0%}  {mem}{'  <- advae default' if r['advae_default'] else ''}")
    for pr in res["profile"]:
        print(f"  where a {pr['precision']} step (batch {pr['batch']}) spends its time: " + ", ".join(f"{k} {v:.0%}" for k, v in pr["shares"].items()))
    print(f"  data loader: {res['loader']['slices_per_s']:.0f} slices/s ({res['loader']['workers']} workers)")
    q = res["time_to_quality"]
    print(f"  time to quality ({q['precision']}, batch {q['batch']}, {q['epochs']} epochs, stopped by {q['stopped']}): held-out SSIM passes "
          f"PCA's {q['pca_baseline_ssim']:.3f} after {q['seconds_to_pass_pca']} s (epoch {q['epoch_pass_pca']}), within 0.01 of its best "
          f"{q['best_test_ssim']:.3f} after {q['seconds_to_within_0.01_of_best']} s; engine {q['engine_slices_per_s']:.0f} slices/s")
    for n in res["notes"]: print(f"  - {n}")


if __name__ == "__main__":
    main()
