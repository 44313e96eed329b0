import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def advae(*args, cwd=None, timeout=900):
    "Run the `advae` command in a subprocess; returns the CompletedProcess (text)."
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "advae", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout, env=env)


@pytest.fixture(scope="session")
def tissue_run(tmp_path_factory):
    "The default gene pipeline on the real tissue demo (conditional on tissue), run once per session."
    out = tmp_path_factory.mktemp("runs")/"tissue"
    r = advae("--quiet", "gene", "run", "--data", "demo:tissue", "--out", out)
    assert r.returncode == 0, r.stderr
    return out, json.loads((out/"metrics.json").read_text())
