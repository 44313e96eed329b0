"""A full disk, a read-only output and a read-only input (issue 16): one line and exit code 2, no half-written file,
and after space is freed `--resume` finishes the run.

For real where this process can make a small file system of its own (a tmpfs in new user and mount namespaces, with
`unshare`; skipped with the reason elsewhere), and with a full disk injected at a chosen write, which always runs."""
import contextlib
import errno
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from advae.core.errors import set_quiet
from advae.core.io import read_safetensors
from conftest import one_line, sets

GENE = ["--label", "none", *sets("epochs=3", "kl_warmup=1", "n_synthetic=50", "latent=8", "hidden=32")]
MRI = ["--label", "none", *sets("n_slices=16", "workers=1")]


def gene_input(folder: Path) -> Path:
    "The real tissue microarray (189 samples x 500 genes) as a TSV in `folder`."
    from advae.gene.io import load_demo, write_expression
    folder.mkdir(parents=True, exist_ok=True)
    d = load_demo("tissue")
    return write_expression(folder/"tissue.tsv", d.X, d.samples, d.features, "rows", d.obs)


def mri_input(folder: Path) -> Path:
    "The real demo brains (MNI152 2009, Colin27) as NIfTI files in `folder`."
    from advae.mri.io import demo_subjects
    folder.mkdir(parents=True, exist_ok=True)
    for s in demo_subjects(): shutil.copyfile(s.path, folder/f"{s.id}.nii.gz")
    return folder


def whole(run: Path) -> list[str]:
    """Check that every file under `run` is complete: no temporary file, JSON that parses, safetensors that match their
    checksum, images and tables that read, a log of whole lines. Returns the files, relative to `run`, sorted."""
    files = sorted(p for p in run.rglob("*") if p.is_file())
    for p in files:
        assert not p.name.startswith("."), f"a temporary file is left: {p}"
        if p.suffix == ".json": json.loads(p.read_text())
        elif p.suffix == ".safetensors": read_safetensors(p)
        elif p.suffix in (".png", ".gif"): Image.open(p).verify()
        elif p.suffix == ".tsv": assert len(pd.read_csv(p, sep="\t")) > 0
        elif p.suffix == ".csv": assert len(pd.read_csv(p)) > 0
        elif p.suffix == ".npy": assert np.load(p, mmap_mode="r").size > 0
        elif p.name.endswith(".nii.gz"): assert nib.load(p).get_fdata().size > 0
        elif p.name == "log.txt": assert p.read_text().endswith("\n"), "a half line in the log"
        else: assert p.stat().st_size > 0, p
    return [str(p.relative_to(run)) for p in files]


def can_mount(probe: Path) -> str | None:
    "None when this process can mount a tmpfs of its own in new user and mount namespaces, else why not."
    if not sys.platform.startswith("linux"): return "not Linux"
    if shutil.which("unshare") is None: return "no `unshare` command"
    probe.mkdir()
    r = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                        f"mount -t tmpfs -o size=64k tmpfs '{probe}'"], capture_output=True, text=True, timeout=60)
    return None if r.returncode == 0 else f"cannot mount a tmpfs in a user namespace here: {r.stderr.strip()[:300]}"


# Runs inside the namespaces, as root there: mounts a 768 KiB tmpfs for the output (a tiny run needs about 1.4 MB),
# makes the input folder read-only and mounts a read-only tmpfs, then runs the commands in this one process (one
# import for all) and copies what they left out of the tmpfs, which goes with the namespace.
DRIVER = r"""
import contextlib, io, json, shutil, subprocess, sys, traceback
from pathlib import Path
T, gene, mri = Path(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
out, ro, inp = T/"out", T/"ro", T/"input"
def sh(*a): subprocess.run(list(map(str, a)), check=True)
sh("mount", "-t", "tmpfs", "-o", "size=768k", "tmpfs", out)
sh("mount", "--bind", inp, inp); sh("mount", "-o", "remount,bind,ro", inp)
sh("mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", ro)
from advae.cli import main
res = {}
def call(name, *argv):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try: code = main(["--quiet", *map(str, argv)])
        except BaseException: code = "raised"; traceback.print_exc()
    res[name] = {"code": code, "stderr": err.getvalue()}
def left(name, folder):
    res[name] = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    if (folder/"run").is_dir(): shutil.copytree(folder/"run", T/name)
call("full", "gene", "run", "--data", inp/"tissue.tsv", "--out", out/"run", *gene)
call("ro", "gene", "run", "--data", inp/"tissue.tsv", "--out", ro/"run", *gene)
call("mri_full", "mri", "preprocess", "--data", inp/"mri", "--out", out/"mri", *mri)
left("after_full", out)
sh("mount", "-o", "remount,size=64m", out)    # space freed
call("resume", "gene", "run", "--data", inp/"tissue.tsv", "--out", out/"run", *gene, "--resume")
call("mri_again", "mri", "preprocess", "--data", inp/"mri", "--out", out/"mri", *mri)
left("final", out)
res["input"] = sorted(p.name for p in inp.rglob("*"))
(T/"results.json").write_text(json.dumps(res))
"""


def test_full_disk_read_only_output_and_input_on_real_file_systems(tmp_path):
    why = can_mount(tmp_path/"probe")
    if why: pytest.skip(why)
    gene_input(tmp_path/"input"); mri_input(tmp_path/"input"/"mri")
    before = sorted(p.name for p in (tmp_path/"input").rglob("*"))
    for d in ("out", "ro"): (tmp_path/d).mkdir()
    r = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-c", DRIVER, str(tmp_path),
                        json.dumps(GENE), json.dumps(MRI)], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path/"results.json").read_text())

    # a disk too small for the run: one line naming the file or folder it could not write, that says what to do
    full = res["full"]
    assert full["code"] == 2, full
    err = one_line(full["stderr"])
    assert f"advae: {tmp_path/'out'/'run'}" in err and "no space left on the device; free space, then continue with " \
           "the same command and --resume" in err, err
    after = tmp_path/"after_full"   # (a first preprocess that fails leaves no run directory)
    done = whole(after) if after.exists() else []            # what is there is whole, and no temporary file is left
    assert not [f for f in res["after_full"] if Path(f).name.startswith(".")], res["after_full"]
    # the MRI slice store, filled through a memory map: ENOSPC (not a SIGBUS) and no trace of it
    mri = res["mri_full"]
    assert mri["code"] == 2 and "no space left on the device; free space, then run the same command again" in \
           one_line(mri["stderr"]) and "store" in mri["stderr"], mri
    assert not [f for f in res["after_full"] if f.startswith("mri") or "store" in f], res["after_full"]
    # a read-only output folder: one line
    ro = res["ro"]
    assert ro["code"] == 2 and "read-only file system" in one_line(ro["stderr"]).lower(), ro

    # space freed: --resume finishes the run from what was done; the MRI preprocessing runs again
    assert res["resume"]["code"] == 0 and "Traceback" not in res["resume"]["stderr"], res["resume"]
    final = whole(tmp_path/"final")
    assert {"metrics.json", "model/weights.safetensors", "synthetic/synthetic.tsv", "plots/scorecard.png"} <= set(final)
    log = (tmp_path/"final"/"log.txt").read_text()
    assert "evaluation on 28 test samples" in log, log
    if "preprocess/pipeline.json" in done:                   # preprocessing had finished: kept, not done again
        assert "preprocessing already done" in log and log.count("split (random, seed 0)") == 1, log
    assert res["mri_again"]["code"] == 0, res["mri_again"]
    assert "mri/preprocess/store/slices.npy" in res["final"] and not [f for f in res["final"] if "/." in f], res
    # the read-only input was read, never written to
    assert res["input"] == before


def run_main(*argv) -> tuple[int, str]:
    "`advae --quiet ARGV` in this process: its exit code and stderr."
    from advae.cli import main
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["--quiet", *map(str, argv)])
    finally: set_quiet(False)
    return code, err.getvalue()


def test_injected_full_disk_at_a_checkpoint_then_resume(tmp_path, monkeypatch):
    "Always runs: the second checkpoint is half-written when the disk fills (as safetensors reports it)."
    import safetensors.torch
    from safetensors import SafetensorError
    data, run = gene_input(tmp_path/"input"), tmp_path/"run"
    before = sorted(p.name for p in data.parent.iterdir())
    assert run_main("gene", "preprocess", "--data", data, "--out", run, *GENE) == (0, "")
    real, calls = safetensors.torch.save_file, []

    def fills_up(tensors, filename, metadata=None):
        calls.append(filename)
        if len(calls) < 2: return real(tensors, filename, metadata=metadata)
        Path(filename).write_bytes(b"\0" * 4096)
        raise SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")

    monkeypatch.setattr(safetensors.torch, "save_file", fills_up)
    code, err = run_main("gene", "train", run)
    ckpt = run/"model"/"checkpoint.safetensors"
    assert (code, err) == (2, f"advae: {ckpt}: no space left on the device; free space, then continue with the same "
                              "command and --resume\n")
    assert "model/checkpoint.safetensors" in whole(run) and not (run/"model"/"weights.safetensors").exists()
    assert json.loads(read_safetensors(ckpt)[1]["progress"])["epoch"] == 0      # the last whole checkpoint stays

    monkeypatch.setattr(safetensors.torch, "save_file", real)                  # space freed
    assert run_main("gene", "train", run, "--resume") == (0, "")
    assert "resuming from the checkpoint of epoch 0" in (run/"log.txt").read_text()
    assert {"model/weights.safetensors", "model/history.json", "plots/loss_curves.png"} <= set(whole(run))
    assert sorted(p.name for p in data.parent.iterdir()) == before            # nothing written beside the input


def test_injected_full_disk_for_the_memory_mapped_slice_store(tmp_path, monkeypatch):
    "Always runs: no room for the slices (a memory map there would die of SIGBUS): one line, nothing left."
    data, run = mri_input(tmp_path/"input"), tmp_path/"run"
    monkeypatch.setattr("os.posix_fallocate", lambda fd, offset, n: (_ for _ in ()).throw(
        OSError(errno.ENOSPC, "No space left on device")))
    code, err = run_main("mri", "preprocess", "--data", data, "--out", run, *MRI)
    assert (code, err) == (2, f"advae: {run/'preprocess'/'store'}: no space left on the device; free space, then run "
                              "the same command again\n")
    assert not run.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["input"]
