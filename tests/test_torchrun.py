"""`advae` under torchrun: two CPU processes (gloo) train one model with DistributedDataParallel on the real tissue
demo; rank 0 alone writes, the same seed gives the same weights, a resumed run ends as the uninterrupted one, and an
input error is the same one line in every process (see "Several processes or machines" in nbs/training/05_trainer.ipynb)."""
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from advae.core.io import read_safetensors
from advae.gene.io import read_expression
from conftest import sets

SETTINGS = sets("epochs=60", "kl_warmup=10", "augment_repeats=0", "n_synthetic=200")   # ~40 s on 2 cores
EPOCHS = 60


def torchrun(*args, timeout: int = 300) -> subprocess.CompletedProcess:
    "`advae --quiet ARGS` in 2 local CPU processes of one thread each, through torchrun (`python -m torch.distributed.run`)."
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "advae", "--quiet", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def weights(run) -> dict:
    return read_safetensors(run/"model"/"weights.safetensors")[0]


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory):
    "The gene pipeline on demo:tissue in two processes; returns (run directory, CompletedProcess)."
    out = tmp_path_factory.mktemp("torchrun")/"tissue"
    r = torchrun("gene", "run", "--data", "demo:tissue", "--out", out, "--device", "cpu", *SETTINGS)
    assert r.returncode == 0, r.stderr[-4000:]
    return out, r


def test_two_processes_train_and_rank0_writes_everything(ddp_run):
    out, r = ddp_run
    for p in ["config.json", "log.txt", "metrics.json", "preprocess/pipeline.json", "model/weights.safetensors", "model/checkpoint.safetensors",
              "model/history.json", "model/decoder_noise.safetensors", "synthetic/synthetic.tsv", "synthetic/synthetic.json", "plots/loss_curves.png"]:
        assert (out/p).is_file(), p
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp") or ".tmp." in p.name]   # no write left half-done
    h = json.loads((out/"model"/"history.json").read_text())
    assert h["world_size"] == 2 and h["batch_per_process"] == 16 and h["train_config"]["batch_size"] == 32
    assert len(h["history"]) == EPOCHS and h["stopped"] == "max epochs"
    assert all(np.isfinite([rec["train_loss"], rec["val_loss"], rec["val_mse"]]).all() for rec in h["history"])
    first, best = h["history"][0], h["history"][h["best_epoch"]]
    assert best["val_mse"] < 0.5 * first["val_mse"] and best["val_loss"] < first["val_loss"] - 10, (first, best)   # it converged
    ckpt = json.loads(read_safetensors(out/"model"/"checkpoint.safetensors", what="checkpoint")[1]["progress"])
    assert ckpt["world_size"] == 2 and ckpt["epoch"] == EPOCHS - 1
    m = json.loads((out/"metrics.json").read_text())
    rec = m["reconstruction"]["test"]
    assert rec["r2"] > 0.6, rec          # predicting every test sample by the training mean scores R^2 ~ 0
    syn = read_expression(out/"synthetic"/"synthetic.tsv")
    assert syn.shape == (200, 500) and np.isfinite(syn.X).all()
    # one process reports: one summary on stdout, one training line in the run's log
    assert r.stdout.count("held-out R^2") == 1 and r.stdout.count("run directory:") == 1, r.stdout
    assert (out/"log.txt").read_text().count("2 processes, 16 samples each per step") == 1


def test_same_seed_same_weights_and_resume_is_exact(ddp_run, tmp_path):
    "The train stage of a copy of the run, interrupted after half the epochs and resumed: exactly the first run's weights."
    src, _ = ddp_run
    run = tmp_path/"run"
    run.mkdir()
    shutil.copytree(src/"preprocess", run/"preprocess")
    cfg = json.loads((src/"config.json").read_text())
    (run/"config.json").write_text(json.dumps(cfg | {"epochs": EPOCHS // 2}))
    r = torchrun("gene", "train", run)
    assert r.returncode == 0, r.stderr[-4000:]
    (run/"config.json").write_text(json.dumps(cfg))
    r = torchrun("gene", "train", run, "--resume")
    assert r.returncode == 0, r.stderr[-4000:]
    assert f"resuming from the checkpoint of epoch {EPOCHS // 2 - 1}" in (run/"log.txt").read_text()
    a, b = weights(src), weights(run)
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
    ha, hb = (json.loads((d/"model"/"history.json").read_text()) for d in (src, run))
    assert ha["history"] == hb["history"]


def test_input_error_is_one_line_in_every_process(tmp_path):
    "Rank 0 checks the input alone; its error reaches the other process, which exits with it instead of waiting."
    r = torchrun("gene", "run", "--data", tmp_path/"missing.tsv", "--out", tmp_path/"out", "--device", "cpu", timeout=120)
    assert r.returncode != 0
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("advae: ")]
    assert lines == [f"advae: {tmp_path/'missing.tsv'}: file not found"] * 2, r.stderr[-3000:]
    # torchrun's report: every process that ended by itself exited with 2; torchrun stops (SIGTERM, -15) any still exiting
    # once the first has ended, so only the first is certain to be listed with 2
    codes = dict(re.findall(r"rank\s*:\s*(\d+) \(local_rank: \d+\)\s*\n\s*exitcode\s*:\s*(-?\d+)", r.stderr))
    assert set(codes) == {"0", "1"} and set(codes.values()) <= {"2", "-15"} and "2" in codes.values(), r.stderr[-3000:]
    assert not (tmp_path/"out").exists() and "Traceback (most recent call last):\n  File \"" not in r.stdout
