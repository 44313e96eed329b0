"""Nothing is lost: a real `advae mri run` interrupted mid-epoch (SIGINT, then SIGKILL), or killed (SIGKILL) while it
slices the volumes, and resumed with `--resume` ends, on CPU with the same seed, with the weights and history of an
uninterrupted run."""
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open

from advae.core.io import read_safetensors
from advae.mri.pipeline import MRIRun
from conftest import CH2, CH2BET, advae, sets

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
    # SIGINT as a terminal delivers it, whatever this process inherited: a shell starts background jobs with SIGINT
    # ignored, and a process started with it ignored keeps ignoring it (Python then installs no KeyboardInterrupt)
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
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


# Killed while preprocessing. The input: copies of the real brains (Debian's Colin27 skull-stripped and whole head,
# nilearn's MNI152 2009) under 8 subject names, so that slicing lasts long enough to be caught; 4 slices of each,
# sliced by the default 2 worker processes (which must not outlive the killed run).
PRE_SETTINGS = ["--label", "none", "--device", "cpu", *sets("epochs=2", "patience=1000", "kl_warmup=1",
                "precision=fp32", "n_slices=4", "latent=8", "widths=8,16", "n_synthetic=8", "workers=2")]
N_COPIES, PER = 8, 4


def _brain_copies(d: Path) -> Path:
    "A folder of `N_COPIES` .nii.gz files, each a byte-for-byte copy of one of the three real brains (derived: copies)."
    from advae.mri.io import mni152_path
    srcs = [p for p in (CH2BET, CH2, mni152_path()) if p is not None and Path(p).is_file()]
    if not srcs: pytest.skip("no real brain volume installed (nilearn or Debian's mricron-data)")
    d.mkdir(parents=True)
    for i in range(N_COPIES):
        src = Path(srcs[i % len(srcs)])
        shutil.copyfile(src, d/f"copy{i + 1:02d}_of_{src.name.split('.')[0][:12]}.nii.gz")
    return d


def _volumes_written(pre: Path) -> int | None:
    """How many volumes' slices a running preprocessing has written into its temporary store (the memory map it fills in
    subject order; an unwritten row is all zeros, a written one never is: its background is -1), or None when there is
    no temporary store (not started yet, or already renamed into place)."""
    for tmp in pre.glob(".store.*.tmp"):
        try: x = np.load(tmp/"slices.npy", mmap_mode="r")
        except (OSError, ValueError, EOFError): return None           # being created
        return sum(bool(np.any(x[i * PER])) for i in range(N_COPIES)) if len(x) == N_COPIES * PER else None
    return None


def _children(pid: int) -> list[int]:
    "Process IDs of the living (not zombie) children of process `pid`, from /proc."
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try: fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError: continue                                       # gone meanwhile
        if int(fields[1]) == pid and fields[0] != "Z": out.append(int(stat.parent.name))
    return out


def _alive(pids: list[int]) -> list[int]:
    "Those of `pids` still running (not zombies)."
    def up(pid):
        try: return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError: return False
    return [p for p in pids if up(p)]


def _kill_while_slicing(data: Path, out: Path) -> tuple[subprocess.Popen, bool, list[int]]:
    """Start `advae mri run` into `out` and SIGKILL it once half the volumes are in its temporary store and the last is
    not. Returns the finished process, whether it was killed so (False: it got past slicing, or stalled) and the
    process IDs of its workers at the time."""
    cmd = [sys.executable, "-m", "advae", "--quiet", "mri", "run", "--data", str(data), "--out", str(out),
           *PRE_SETTINGS]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    marker, t0 = out/"preprocess"/MRIRun.markers["preprocess"], time.time()
    while not (N_COPIES // 2 <= (_volumes_written(out/"preprocess") or 0) < N_COPIES):
        if p.poll() is not None or marker.exists() or time.time() - t0 > 120:
            p.kill(); p.wait()
            return p, False, []
        time.sleep(0.005)
    workers = _children(p.pid)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=60)
    return p, True, workers


def _run_until(marker: Path, cmd: list[str]) -> subprocess.Popen:
    """Run `cmd` until it ends or `marker` (a stage's marker, written last) exists, then SIGKILL it: the stages after
    training (generate, evaluate) are tested elsewhere and would add some 20 s to this test. Returns the process."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while p.poll() is None and not marker.exists() and time.time() - t0 < 300: time.sleep(0.05)
    if p.poll() is None: p.send_signal(signal.SIGKILL)
    p.wait(timeout=60)
    return p


def test_mri_run_killed_while_preprocessing_resumes_to_the_uninterrupted_weights(tmp_path):
    data, ref = _brain_copies(tmp_path/"data"), tmp_path/"ref"
    for stage in (["preprocess", "--data", data, "--out", ref, *PRE_SETTINGS], ["train", ref]):    # uninterrupted
        r = advae("--quiet", "mri", *stage)
        assert r.returncode == 0, r.stderr

    for attempt in range(3):                                           # a kill that lands too late is tried again
        out = tmp_path/f"killed{attempt}"
        p, caught, workers = _kill_while_slicing(data, out)
        left = sorted(f.name for f in (out/"preprocess").iterdir()) if (out/"preprocess").is_dir() else []
        caught = (caught and p.returncode == -signal.SIGKILL and not MRIRun(out).done("preprocess")
                  and "store" not in left and any(n.startswith(".store.") for n in left))   # a half-filled store
        if caught: break
    assert caught, f"preprocessing was never caught mid-way in 3 tries (last exit {p.returncode}: {p.stderr.read()})"
    assert (out/"config.json").exists() and len(workers) >= 2, workers
    t0 = time.time()
    while _alive(workers) and time.time() - t0 < 60: time.sleep(0.05)
    assert not _alive(workers), f"worker processes {_alive(workers)} outlived the killed run"

    r = advae("--quiet", "mri", "run", "--data", data, "--out", out, "--resume", *PRE_SETTINGS, *sets("latent=4"))
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [r.stderr.strip()], r.stderr     # one line
    assert "different settings than the run (model.latent)" in r.stderr, r.stderr
    assert sorted(f.name for f in (out/"preprocess").iterdir()) == left                              # untouched

    cmd = [sys.executable, "-m", "advae", "--quiet", "mri", "run", "--data", str(data), "--out", str(out), "--resume",
           *PRE_SETTINGS]
    p = _run_until(out/"model"/MRIRun.markers["train"], cmd)                                  # restarts preprocessing
    assert p.returncode in (0, -signal.SIGKILL) and MRIRun(out).done("train"), (p.returncode, p.stderr.read())
    assert "preprocessing had not completed; starting it again (removed preprocess/)" in (out/"log.txt").read_text()
    assert not list((out/"preprocess").glob(".*")), list((out/"preprocess").iterdir())           # no temporary store
    for f in ("store/slices.npy", "store/index.csv", "split.json"):                               # as if never killed
        assert (ref/"preprocess"/f).read_bytes() == (out/"preprocess"/f).read_bytes(), f
    a, b = (read_safetensors(d/"model"/"weights.safetensors")[0] for d in (ref, out))
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
    hist = [json.loads((d/"model"/"history.json").read_text()) for d in (ref, out)]
    assert hist[0]["history"] == hist[1]["history"]
