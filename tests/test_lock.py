"""One writer per run directory, with real `advae` processes: a second command on a run directory that another is
writing stops at once with one line naming it (exit code 2) while the first finishes undisturbed, and the lock of a
command killed with kill -9 is taken over by the next one.

No timing assumptions: each holder is caught holding its lock (the lock file names it) and stopped (SIGSTOP) while
the others run into it, then continued (or killed)."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from advae.core.lock import lock_path
from advae.modality import get_modality
from conftest import sets

DATA = ["--data", "demo:ad_biomarkers"]
FAST = sets("epochs=2", "kl_warmup=1", "n_synthetic=20", "augment_repeats=0")


def start(*args) -> subprocess.Popen:
    "Start `advae ARGS` (text pipes for stdout and stderr)."
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "advae", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def caught(*jobs: tuple[subprocess.Popen, Path]) -> list[dict]:
    """Stop (SIGSTOP) each process of `jobs` (process, its run directory) as soon as it holds its run's lock, and check
    that it still does once stopped; returns what each lock file says."""
    found, t0 = {}, time.time()
    while len(found) < len(jobs):
        assert time.time() - t0 < 600, "a process never took its lock"   # a hang guard, not a timing assumption
        for p, run in jobs:
            if p.pid in found: continue
            assert p.poll() is None, f"the process ended before it held its lock: {p.communicate()}"
            info = holder(run)
            if info and info["pid"] == p.pid:
                os.kill(p.pid, signal.SIGSTOP)
                assert holder(run) == info, "the process let go of its lock before it was stopped"
                found[p.pid] = info
        time.sleep(0.02)
    return [found[p.pid] for p, _ in jobs]


def holder(run: Path) -> dict | None:
    "What the lock file of `run` says (None: no lock file, or not written yet)."
    try: info = json.loads(lock_path(run).read_text())
    except (OSError, ValueError): return None
    return info if isinstance(info, dict) else None


def finish(p: subprocess.Popen) -> tuple[int, str, str]:
    "Wait for `p`: (exit code, stdout, stderr)."
    out, err = p.communicate(timeout=600)
    return p.returncode, out, err


def test_second_writer_is_refused_and_a_killed_holder_is_taken_over(tmp_path):
    run, other = tmp_path/"R", tmp_path/"K"
    # the first writer of R and, on another run directory meanwhile, a command that will be killed
    first = start("--quiet", "gene", "preprocess", *DATA, "--out", run, *FAST)
    victim = start("--quiet", "gene", "preprocess", *DATA, "--out", other, *FAST)
    procs = [first, victim]
    try:
        info, killed = caught((first, run), (victim, other))   # both stopped, holding their locks
        refused = start("gene", "run", *DATA, "--out", run, *FAST, "--resume")
        victim.kill(); victim.wait()                        # kill -9 while it holds the lock of K
        assert holder(other) == killed                      # left behind, but held by nobody
        shutil.rmtree(other, ignore_errors=True)            # what it had begun to write (as a user would)
        successor = start("gene", "preprocess", *DATA, "--out", other, *FAST)
        procs += [refused, successor]
        refusal = finish(refused)
        os.kill(first.pid, signal.SIGCONT)
        done = finish(first)
        after = finish(successor)
    finally:
        for p in procs:
            if p.poll() is None: p.kill(); p.wait()

    host = socket.gethostname()
    code, _, err = refusal                            # one line naming the holder, exit code 2, no traceback
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"advae: {run}: in use by `advae gene preprocess` (process {first.pid} on host {host}, "
                          f"started {info['started']}); wait for it to finish or stop it"), err

    # the first writer was not disturbed: it finished its preprocessing, and let go of its lock
    code, _, err = done
    assert code == 0, err
    assert get_modality("gene").run_class(run).done("preprocess") and not lock_path(run).exists()
    assert "in use" not in (run/"log.txt").read_text()

    # the killed command's lock was taken over, saying whose it was
    code, out, err = after
    assert code == 0, err
    said = f"taking over the lock of `advae gene preprocess` (process {victim.pid} on host {host}"
    assert said in out and said in (other/"log.txt").read_text()
    assert get_modality("gene").run_class(other).done("preprocess") and not lock_path(other).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["K", "R"]   # no lock file left beside the runs
