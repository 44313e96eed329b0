"""Benchmark: a spatial-latent MRI VAE with a latent diffusion prior (`advae.models.spatial`) against the default MRIVAE with its
fitted Gaussian-mixture prior and the Gaussian-PCA baseline, on the MRI demo (GitHub issue 13, part 4).

Inputs: a finished run of the MRI demo (`advae mri run --data demo --label brain --out DIR`): its slice store and split, and its
trained MRIVAE (with the GMM prior fitted after training) and metrics.json. The benchmark trains a `SpatialMRIVAE` on the run's
training split with the same trainer and settings as the run's model (`advae.training.train`, the run's `train` section), fits a
`DiffusionPrior` on the training slices' posterior means, and judges every generator on the run's TEST split in one feature space,
the run's own MRIVAE encoder (posterior means, z-scored on the training slices: `advae.mri.pipeline.eval_data`), with the
pipeline's own figures (`_judge_set`: Frechet distance, detection AUC, k-NN precision/recall/density/coverage, nearest-real SSIM,
MS-SSIM diversity, privacy) for several sampling seeds, and the held-out reconstructions (SSIM, brain SSIM, PSNR).

    python benchmarks/mri_spatial.py --base DIR [--threads 1] [--channels 4] [--down 3] [--seeds 3]
    python benchmarks/mri_spatial.py --base DIR --threads 2 --timing-only   # training seconds with 2 threads, merged in

Writes benchmarks/results/mri_spatial_cpu.json (atomically; a `--timing-only` run adds its thread count to `timing` and keeps
the rest) and a grid of held-out / MRIVAE+GMM / spatial+diffusion / Gaussian-PCA slices to --grid (default
/tmp/spatial/samples_grid.png).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from _common import machine, result_path
from advae.baselines import draw
from advae.core.distributed import seed_everything
from advae.core.errors import set_quiet
from advae.core.io import read_json, write_json
from advae.mri.metrics import plot_slices, reconstruction_metrics
from advae.mri.pipeline import MRI, MRIRun, SliceSampler, _encode, _reconstruct, datasets, eval_data
from advae.models.prior import choose_mixture, sample_mixture
from advae.pipeline import _judge_set
from advae.training import train

ROOT = Path(__file__).resolve().parents[1]


def plateau(history: list[dict], seconds: list[float], key: str = "val_mse", within: float = 0.02) -> dict:
    """The first epoch whose `key` is within `within` (relative) of the best value of the run, and the seconds of training
    it took to get there (`seconds`: cumulative seconds at the end of each epoch)."""
    v = np.array([h[key] for h in history])
    i = int(np.flatnonzero(v <= v.min() * (1 + within) if v.min() > 0 else v <= v.min() + within * abs(v.min()))[0])
    return {"epoch": int(history[i]["epoch"]), "seconds": round(float(seconds[i]), 1), "value": float(v[i]),
            "best": float(v.min()), "best_epoch": int(history[int(v.argmin())]["epoch"]), "within": within}


def train_spatial(S, run: MRIRun, args) -> tuple:
    "Train a SpatialMRIVAE on the run's training split as the pipeline trains its model; fit the diffusion prior. Timed."
    cfg, classes = run.config, run.classes()
    seed_everything(cfg.seed)
    tr, va = datasets(run)
    torch.manual_seed(cfg.seed)
    vcfg = S.SpatialVAEConfig(size=cfg.data.size, channels=args.channels, down=args.down, widths=tuple(args.widths),
                              beta=args.beta, n_classes=len(classes))
    model = S.SpatialMRIVAE(vcfg)
    tcfg = cfg.train if not args.epochs else type(cfg.train)(**{**cfg.train.__dict__, "epochs": args.epochs})
    stamps, t0 = [], time.perf_counter()
    res = train(model, tr, va, tcfg, seed=cfg.seed, progress=False, augment=MRI.augment(run),
                on_epoch=lambda epoch, m, rec: stamps.append(time.perf_counter() - t0))
    t_vae = time.perf_counter() - t0
    model = model.cpu().eval()
    store, split, codes = run.store(), np.array(run.split()["split"]), run.codes()
    rows = {k: np.flatnonzero(split == k) for k in ("train", "val")}
    t1 = time.perf_counter()
    z, sd = {}, None
    with torch.no_grad():
        for k, r in rows.items():
            mu, logvar = model.encode(torch.from_numpy(np.asarray(store.slices[r], np.float32))[:, None],
                                      torch.from_numpy(codes[r]))
            z[k] = mu.numpy()
            if k == "train" and args.jitter: sd = (0.5 * logvar).exp().numpy()
    prior = S.fit_diffusion(z["train"], codes[rows["train"]], z["val"], codes[rows["val"]], vcfg.shape, len(classes),
                            seed=cfg.seed, steps=args.dsteps, width=args.dwidth, batch=args.dbatch, lr=args.dlr,
                            sample_steps=args.sample_steps, seconds=args.dseconds, patience=args.patience,
                            every=args.every, sd_train=sd)
    t_prior = time.perf_counter() - t1
    timing = {"threads": torch.get_num_threads(), "train_vae_s": round(t_vae, 1), "epochs": len(res.history),
              "best_epoch": res.best_epoch, "stopped": res.stopped, "s_per_epoch": round(t_vae / len(res.history), 3),
              "plateau": plateau(res.history, stamps), "fit_prior_s": round(t_prior, 1),
              "prior_steps": prior.info["steps"], "train_total_s": round(t_vae + t_prior, 1)}
    return model, prior, res, z, timing


def base_timing(run: MRIRun) -> dict:
    "The base run's own training time (timing.json) and its plateau, with epoch times taken as equal."
    hist = read_json(run.model_dir/"history.json")
    hist = hist["history"] if isinstance(hist, dict) else hist
    t = read_json(run.path/"timing.json")
    train_s = next((v.get("seconds") for k, v in (t.items() if isinstance(t, dict) else []) if k == "train"), None)
    out = {"timing_json": t, "epochs": len(hist)}
    if train_s:
        per = train_s / len(hist)
        out |= {"train_s": train_s, "plateau_est": plateau(hist, [per * (i + 1) for i in range(len(hist))])}
    return out


def step_seconds(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, reps: int = 10) -> float:
    "Seconds per training step (forward, backward, Adam) of `model` on the batch (x, y), after 2 warm-up steps."
    opt = torch.optim.Adam(model.parameters(), 1e-4)
    model.train()
    for i in range(reps + 2):
        if i == 2: t0 = time.perf_counter()
        loss = model.loss((x, y), 1.0)["loss"]
        opt.zero_grad(); loss.backward(); opt.step()
    return (time.perf_counter() - t0) / reps


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", type=Path, default=Path("/tmp/spatial/base"), help="a finished `advae mri run --data demo` run")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--channels", type=int, default=4)
    p.add_argument("--down", type=int, default=3)
    p.add_argument("--widths", type=int, nargs="+", default=[16, 32, 64])
    p.add_argument("--beta", type=float, default=1.0)
    p.add_argument("--epochs", type=int, default=120, help="maximum epochs of the spatial VAE (0: the run's)")
    p.add_argument("--dsteps", type=int, default=1500, help="diffusion prior: maximum Adam steps")
    p.add_argument("--dseconds", type=float, default=None, help="diffusion prior: time cap (s)")
    p.add_argument("--dwidth", type=int, default=32)
    p.add_argument("--dbatch", type=int, default=64)
    p.add_argument("--dlr", type=float, default=2e-3)
    p.add_argument("--sample-steps", type=int, default=40)
    p.add_argument("--patience", type=int, default=3, help="diffusion prior: evaluations without a better validation loss")
    p.add_argument("--every", type=int, default=100, help="diffusion prior: steps between validation evaluations")
    p.add_argument("--jitter", action=argparse.BooleanOptionalAction, default=False,
                   help="diffusion prior: train on posterior draws (not only the means)")
    p.add_argument("--seeds", type=int, default=3, help="sampling seeds to judge each generator with")
    p.add_argument("--timing-only", action="store_true", help="train and time only; merge into the existing result")
    p.add_argument("--out", type=Path, default=result_path("mri_spatial"))
    p.add_argument("--grid", type=Path, default=Path("/tmp/spatial/samples_grid.png"))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    set_quiet(True)
    import advae.models.spatial as S
    run = MRIRun(args.base)
    if not run.done("train"): raise SystemExit(f"{args.base}: not a trained MRI run; make one with "
                                               f"`advae mri run --data demo --label brain --out {args.base}`")
    cfg, classes = run.config, run.classes()
    design = {k: getattr(args, k) for k in ("channels", "down", "widths", "beta", "dsteps", "dseconds", "dwidth", "dbatch",
                                            "dlr", "sample_steps", "patience", "every", "jitter", "epochs")}
    load = [round(x, 2) for x in __import__("os").getloadavg()]
    model, prior, res, z, timing = train_spatial(S, run, args)
    timing["load_average_before"] = load
    if args.timing_only:
        old = read_json(args.out) if args.out.exists() else {}
        old.setdefault("timing", {})[str(args.threads)] = timing | {"design": design}
        write_json(args.out, old)
        print(json.dumps(timing, indent=1))
        return

    base = run.model()
    ev = eval_data(run, base)
    real, y_te, seed = ev.extra["real"], ev.extra["y"], cfg.seed
    # throughput of both networks, one training step of the run's batch size, with this many threads
    store = run.store()
    xb = torch.from_numpy(np.asarray(store.slices[:cfg.train.batch_size], np.float32))[:, None]
    yb = torch.from_numpy(run.codes()[:cfg.train.batch_size])
    sps = {"MRIVAE": step_seconds(type(base)(base.config), xb, yb), "spatial": step_seconds(type(model)(model.config), xb, yb)}

    # held-out reconstructions
    rec = {"MRIVAE": _reconstruct(base, real, y_te), "spatial": _reconstruct(model, real, y_te)}
    recon = {k: reconstruction_metrics(real, r) for k, r in rec.items()}

    # the spatial latent with the other priors (ablations): the Gaussian mixture the pipeline fits, and N(0, I)
    tr_codes = run.codes()[np.array(run.split()["split"]) == "train"]
    va_codes = run.codes()[np.array(run.split()["split"]) == "val"]
    gmm = choose_mixture(z["train"], tr_codes, z["val"], va_codes, seed=seed)

    n = max(cfg.eval.n_synthetic, MRI.min_eval_samples)
    gens = {}
    out_sets, t_sample = {}, {}
    for s in range(args.seeds):
        sd = seed + s
        t0 = time.perf_counter(); units, labels = SliceSampler(run, base).sample(n, sd); t_sample.setdefault("MRIVAE+GMM", []).append(time.perf_counter() - t0)
        codes = np.array([classes.index(c) for c in labels])
        yt = torch.from_numpy(codes)
        sets = {"MRIVAE+GMM": units}
        t0 = time.perf_counter()
        zs = prior.sample(codes, sd)
        with torch.no_grad(): sets["spatial+diffusion"] = model.decode(torch.from_numpy(zs), yt)[:, 0].numpy()
        t_sample.setdefault("spatial+diffusion", []).append(time.perf_counter() - t0)
        with torch.no_grad():
            sets["spatial+GMM"] = model.decode(torch.from_numpy(sample_mixture(gmm, codes, sd)), yt)[:, 0].numpy()
            g = torch.Generator().manual_seed(sd)
            sets["spatial+N(0,I)"] = model.decode(torch.randn(n, model.config.latent, generator=g), yt)[:, 0].numpy()
        fitted = {k: b.fit(ev.train, ev.y_train, sd) for k, b in MRI.baselines(run, ev).items()}
        for k, x in draw(fitted, labels, sd).items(): sets[k] = MRI.from_features(ev, x)
        sets["real_val (positive control)"] = MRI.from_features(ev, ev.val)
        for name, x in sets.items():
            lab = labels if not name.startswith("real_val") else [str(c) for c in ev.y_val]
            e = ev.space.embed(MRI.to_features(ev, x), lab)
            b = _judge_set(MRI, ev, "VAE" if name == "MRIVAE+GMM" else name, x, lab, e, sd)
            b["synthetic"].pop("alpha_beta_curves", None)
            b["synthetic"].pop("intensity", None)
            out_sets.setdefault(name, []).append(b)
        gens[sd] = sets
        print(f"seed {sd}: " + ", ".join(f"{k} FD {v[-1]['synthetic']['fid']:.3g} AUC {v[-1]['synthetic']['detection_auc']:.3f}"
                                         for k, v in out_sets.items()), flush=True)

    keys = ("fid", "detection_auc", "knn_precision", "knn_recall", "density", "coverage", "nn_ssim", "ms_ssim_diversity",
            "mmd", "alpha_precision", "beta_recall")
    summary = {}
    for name, blocks in out_sets.items():
        vals = {k: [b["synthetic"][k] for b in blocks] for k in keys}
        summary[name] = {k: {"mean": float(np.mean(v)), "sd": float(np.std(v)), "per_seed": [round(float(x), 4) for x in v]}
                         for k, v in vals.items()}
        summary[name]["privacy"] = {k: [round(float(b["privacy"][k]), 4) for b in blocks]
                                    for k in ("dcr_share_closer_to_train", "mia_auc")}

    # the grid: held-out slices, then each generator's first samples of the first seed
    first = gens[seed]
    pick = np.linspace(0, len(real) - 1, 8).round().astype(int)
    args.grid.parent.mkdir(parents=True, exist_ok=True)
    order = lambda x: np.concatenate([x[:4], x[-4:]])   # both classes (samples are sorted by class)
    plot_slices({"real (held out)": real[pick], "MRIVAE + GMM": order(first["MRIVAE+GMM"]),
                 "spatial + diffusion": order(first["spatial+diffusion"]),
                 "Gaussian-PCA": order(first["gaussian_pca"]), "spatial + GMM": order(first["spatial+GMM"])}, args.grid)
    plot_slices({"real (held out)": real[pick], "MRIVAE recon": rec["MRIVAE"][pick], "spatial recon": rec["spatial"][pick]},
                args.grid.with_name("reconstructions_grid.png"))

    base_metrics = read_json(run.path/"metrics.json")
    bm = {"pipeline_VAE": {k: base_metrics["synthetic"].get(k) for k in keys},
          "pipeline_gaussian_pca": {k: base_metrics["baselines"]["gaussian_pca"]["synthetic"].get(k) for k in keys},
          "pipeline_reconstruction": base_metrics["reconstruction"]}
    result = {"benchmark": "mri_spatial", "machine": machine(), "base_run": str(run.path), "design": design,
              "spatial_config": {**{k: getattr(model.config, k) for k in ("size", "channels", "down", "widths", "beta",
                                                                            "n_classes")}, "latent": model.config.latent},
              "parameters": {"MRIVAE": sum(p.numel() for p in base.parameters()),
                             "spatial": sum(p.numel() for p in model.parameters()),
                             "diffusion": sum(p.numel() for p in prior.net.parameters())},
              "prior": {"describe": prior.describe(), "info": prior.info, "gmm_on_spatial": gmm.info},
              "n_test": int(len(real)), "n_synthetic": n, "seeds": list(range(seed, seed + args.seeds)),
              "space": ev.space.description,
              "reconstruction": recon, "synthetic": summary, "base_run_metrics": bm,
              "timing": {str(args.threads): timing | {"design": design}},
              "base_timing": base_timing(run),
              "step_seconds_batch": {"batch": cfg.train.batch_size, "threads": args.threads, **{k: round(v, 4) for k, v in sps.items()}},
              "sample_seconds": {k: round(float(np.mean(v)), 3) for k, v in t_sample.items()},
              "spatial_history": [{k: h[k] for k in ("epoch", "val_mse", "val_loss", "train_kl")} for h in res.history]}
    if args.out.exists():   # keep the timings other thread counts recorded
        old = read_json(args.out).get("timing", {})
        result["timing"] = {**{k: v for k, v in old.items() if k != str(args.threads)}, **result["timing"]}
    write_json(args.out, result)
    print(json.dumps({"reconstruction": {k: round(v["ssim_brain"], 4) for k, v in recon.items()}, "timing": timing,
                      "summary": {k: {m: round(v[m]["mean"], 3) for m in ("fid", "detection_auc", "knn_precision", "knn_recall",
                                                                          "coverage")} for k, v in summary.items()}},
                     indent=1))


if __name__ == "__main__":
    main()
