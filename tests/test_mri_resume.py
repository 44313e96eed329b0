"""Nothing is lost: a real `advae mri run` interrupted mid-epoch (SIGINT, then SIGKILL) and resumed with `--resume` ends,
on CPU with the same seed, with the weights and history of an uninterrupted run."""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from safetensors import safe_open

from advae.core.io import read_safetensors
from conftest import advae, sets

EPOCHS = 7
SETTINGS = ["--data", "demo", "--label", "none", "--device", "cpu", *sets(f"epochs={EPOCHS}", "patience=1000", "kl_warmup=1",
            "precision=fp32", "n_slices=16", "latent=8", "widths=8,16", "n_synthetic=8", "workers=1")]   # fp32: faster than bf16 for this tiny model


def _epoch(ckpt: Path) -> int:
    "Epoch of the last checkpoint (read from its header only, to leave the CPU to training), or -1 (it is replaced atomically, never half-written)."
    if not ckpt.exists(): return -1
    with safe_open(str(ckpt), "np") as f: return json.loads(f.metadata()["progress"])["epoch"]


def _interrupt(out: Path, sig: int, after: int, resume: bool = False) -> subprocess.Popen:
    """Start `advae mri run` into `out` and send it `sig` mid-epoch: once the checkpoint of epoch `after` is there and this
    process has written two checkpoints, half the time between those two later. Returns the finished process."""
    cmd = [sys.executable, "-m", "advae", "--quiet", "mri", "run", "--out", str(out), *SETTINGS] + (["--resume"] if resume else [])
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ckpt, t0 = out/"model"/"checkpoint.safetensors", time.time()
    last, written = _epoch(ckpt), []
    while last < after or len(written) < 2:
        assert p.poll() is None and time.time() - t0 < 120, f"training ended or stalled before it could be interrupted: {p.stderr.read() if p.poll() is not None else ''}"
        time.sleep(0.02)
        if (e := _epoch(ckpt)) != last: last, written = e, written + [time.time()]
    time.sleep((written[-1] - written[-2]) / 2)
    p.send_signal(sig)
    p.wait(timeout=60)
    return p


def test_mri_run_killed_twice_resumes_to_the_uninterrupted_weights(tmp_path):
    ref, out = tmp_path/"ref", tmp_path/"killed"
    for stage in (["preprocess", "--out", ref, *SETTINGS], ["train", ref]):
        r = advae("--quiet", "mri", *stage)
        assert r.returncode == 0, r.stderr

    p = _interrupt(out, signal.SIGINT, after=1)                                  # Ctrl-C: a clean exit that says how to go on
    assert p.returncode == 130 and "--resume" in p.stderr.read(), p.returncode
    first = _epoch(out/"model"/"checkpoint.safetensors")
    p = _interrupt(out, signal.SIGKILL, after=first + 2, resume=True)            # no chance to clean up
    assert p.returncode == -signal.SIGKILL
    killed = _epoch(out/"model"/"checkpoint.safetensors")
    assert 1 <= first < first + 2 <= killed < EPOCHS - 1 and not (out/"model"/"weights.safetensors").exists(), (first, killed)

    r = advae("--quiet", "mri", "train", out, "--resume")                       # the third way back in
    assert r.returncode == 0, r.stderr
    log = (out/"log.txt").read_text()
    assert f"resuming from the checkpoint of epoch {first}" in log and f"resuming from the checkpoint of epoch {killed}" in log
    a, b = (read_safetensors(d/"model"/"weights.safetensors")[0] for d in (ref, out))
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
    hist = [json.loads((d/"model"/"history.json").read_text()) for d in (ref, out)]
    assert hist[0]["history"] == hist[1]["history"] and len(hist[1]["history"]) == EPOCHS
