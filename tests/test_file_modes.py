"""A run's outputs have the permissions the user's umask gives, as `open()` and `mkdir()` would give them: readable
by colleagues on shared storage under the usual umask 022, the owner's alone under 077. Atomic writes go through
`tempfile.mkstemp` (0600) and folders renamed into place through `tempfile.mkdtemp` (0700); these must not leak into
the run directory. Two tiny real `advae gene run`s (a 6-sample pilot, 1 epoch), one per umask, run side by side."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from advae.gene.io import load_demo, write_expression
from conftest import sets

QUICK = sets("epochs=1", "kl_warmup=0", "n_synthetic=5", "latent=2", "hidden=8")   # seconds, not minutes
UMASKS = (0o022, 0o077)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[int, Path]:
    "Run directories written by `advae gene run` under each umask in `UMASKS`, the runs made concurrently."
    d = tmp_path_factory.mktemp("modes")
    demo = load_demo("ad_biomarkers")
    keep = np.arange(demo.shape[0]) < 6
    data = write_expression(d/"pilot.tsv", demo.X[keep], [s for s, k in zip(demo.samples, keep) if k], demo.features)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = {m: subprocess.Popen([sys.executable, "-m", "advae", "--quiet", "gene", "run", "--data", str(data),
                                  "--no-holdout", "--device", "cpu", "--out", str(d/f"run{m:03o}"), *QUICK],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, umask=m)
             for m in UMASKS}
    for m, p in procs.items():
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    return {m: d/f"run{m:03o}" for m in UMASKS}


def _modes(run: Path) -> dict[str, int]:
    "Permission bits of the run directory and of everything in it, by path relative to the run ('.': the run)."
    return {str(p.relative_to(run)): p.stat().st_mode & 0o777 for p in [run, *run.rglob("*")]}


@pytest.mark.parametrize("mask, file_mode, folder_mode", [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)],
                         ids=["umask022", "umask077"])
def test_run_files_have_the_modes_the_umask_gives(runs, mask, file_mode, folder_mode):
    run = runs[mask]
    modes = _modes(run)
    for must in ("config.json", "metrics.json", "model/weights.safetensors", "synthetic/synthetic.tsv"):
        assert must in modes, sorted(modes)
    want = {k: folder_mode if (run/k).is_dir() else file_mode for k in modes}
    assert modes == want, {k: (oct(v), oct(want[k])) for k, v in modes.items() if v != want[k]}
