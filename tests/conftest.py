import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from advae.mri.io import demo_subjects

ROOT = Path(__file__).resolve().parents[1]


def advae(*args, cwd=None, timeout=900):
    "Run the `advae` command in a subprocess; returns the CompletedProcess (text)."
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "advae", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout, env=env)


def one_line(err: str) -> str:
    "The single `advae: ` line, without a traceback, that `err` (a failed command's stderr) must be; returns it."
    assert err.startswith("advae: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


def copy_run(src: Path, dst: Path, **settings) -> Path:
    "A copy of run directory `src` at `dst` with some settings of its config.json changed (to re-evaluate it quickly)."
    shutil.copytree(src, dst)
    cfg = json.loads((dst/"config.json").read_text())
    (dst/"config.json").write_text(json.dumps(cfg | settings))
    return dst


@pytest.fixture(scope="session")
def tissue_run(tmp_path_factory):
    "The default gene pipeline on the real tissue demo (conditional on tissue), run once per session."
    out = tmp_path_factory.mktemp("runs")/"tissue"
    r = advae("--quiet", "gene", "run", "--data", "demo:tissue", "--out", out)
    assert r.returncode == 0, r.stderr
    return out, json.loads((out/"metrics.json").read_text())


# An OASIS-1 cohort in the release layout: the real skeleton and headers of shared/fixtures/oasis1 (copied,
# never written to) with real brains (nilearn's MNI152 2009, Debian's Colin27) written as the release's
# big-endian int16 Analyze data next to the real headers.
FIXTURE = Path(os.environ.get("ADVAE_OASIS_FIXTURE", Path(__file__).resolve().parents[2]/"shared"/"fixtures"/"oasis1"))
XLSX = FIXTURE/"oasis_cross-sectional.xlsx"
GRID = (176, 208, 176)          # the T88_111 grid; its headers say 176 x 208 x 176 x 1, >i2, 1 mm
CH2BET = Path("/usr/share/mricron/templates/ch2bet.nii.gz")
CH2 = Path("/usr/share/mricron/templates/ch2.nii.gz")      # the same subject, whole head


def ras_brain(path) -> tuple[np.ndarray, np.ndarray]:
    "A 1 mm template as a RAS float32 array and the voxel of its world origin."
    img = nib.as_closest_canonical(nib.load(path))
    return np.asarray(img.dataobj, np.float32), np.linalg.inv(img.affine) @ [0, 0, 0, 1]


def to_t88(ras: np.ndarray, origin: np.ndarray, scale: float, dz: int = 0) -> np.ndarray:
    """Place a 1 mm RAS brain in the 176 x 208 x 176 grid with its world origin at voxel (88, 124, 80 + dz), as LAS
    (the Analyze 7.5 default that the OASIS headers declare) big-endian int16 scaled by `scale`."""
    out = np.zeros(GRID, np.float32)
    off = np.array([88, 124, 80 + dz]) - np.round(origin[:3]).astype(int)     # grid index = source index + off
    lo, hi = np.maximum(0, -off), np.minimum(ras.shape, np.array(GRID) - off)
    out[tuple(slice(a + o, b + o) for a, b, o in zip(lo, hi, off))] = ras[tuple(slice(a, b) for a, b in zip(lo, hi))]
    return np.round(out[::-1] * scale).astype(">i2")


def write_img(hdr: Path, data: np.ndarray) -> Path:
    "Write `data` as the raw Analyze voxels (x fastest) belonging to the existing header `hdr`; the header is untouched."
    img = hdr.with_suffix(".img")
    img.write_bytes(np.asarray(data, ">i2").tobytes(order="F"))
    return img


def t88(root: Path, sid: str, kind: str = "masked_gfc") -> Path:
    "The T88_111 header of `kind` in subject folder `sid` under `root`."
    return next(root.rglob(f"{sid}/PROCESSED/MPRAGE/T88_111/{sid}_mpr_n*_anon_111_t88_{kind}.hdr"))


def copy_subject(src: Path, dst: Path) -> None:
    "Copy a subject folder under a new ID, renaming its files the way the release names them."
    shutil.copytree(src, dst, copy_function=shutil.copyfile)
    for f in sorted(dst.rglob(f"*{src.name}*"), key=lambda p: -len(p.parts)):
        f.rename(f.with_name(f.name.replace(src.name, dst.name)))


@pytest.fixture(scope="session")
def brains():
    "Real 1 mm brains in RAS: brain-only ones for masked_gfc (MNI152, Colin27 skull-stripped), a whole head for gfc."
    demo = {s.id: s.path for s in demo_subjects()}
    if "MNI152_2009" not in demo: pytest.skip("nilearn (for the MNI152 template) is not installed")
    mni = ras_brain(demo["MNI152_2009"])
    masked = [mni, ras_brain(CH2BET)] if CH2BET.exists() else [mni]
    head = ras_brain(CH2) if CH2.exists() else mni
    return masked, head


@pytest.fixture(scope="session")
def release(tmp_path_factory, brains):
    """A writable copy of the fixture with image data: disc1's five real subjects, a `_MR2` rescan copy of 0022,
    and disc2 with copies of 0003's folder as OAS1_0001_MR1 (CDR 0) and OAS1_0004_MR1 (no CDR)."""
    if not (FIXTURE/"disc1").is_dir():
        pytest.skip(f"the OASIS-1 format fixture is not at {FIXTURE} (set ADVAE_OASIS_FIXTURE to its folder)")
    masked, head = brains
    root = tmp_path_factory.mktemp("oasis")/"oasis_cross-sectional"
    shutil.copytree(FIXTURE, root, copy_function=shutil.copyfile)
    for d in [root, *root.rglob("*")]:
        if d.is_dir(): d.chmod(0o755)
    copy_subject(root/"disc1"/"OAS1_0022_MR1", root/"disc1"/"OAS1_0022_MR2")
    (root/"disc2").mkdir()
    for sid in ("OAS1_0001_MR1", "OAS1_0004_MR1"): copy_subject(root/"disc1"/"OAS1_0003_MR1", root/"disc2"/sid)
    ids = sorted(p.name for p in root.glob("disc*/OAS1_*"))
    for i, sid in enumerate(ids):
        ras, origin = masked[i % len(masked)]
        write_img(t88(root, sid), to_t88(ras, origin, scale=10 + i, dz=i % 3 - 1))
    for sid in ("OAS1_0003_MR1", "OAS1_0015_MR1"): write_img(t88(root, sid, "gfc"), to_t88(*head, scale=14))
    return root


def sets(*pairs: str) -> list[str]:
    "`--set` arguments for the given `key=value` pairs."
    return [a for kv in pairs for a in ("--set", kv)]


@pytest.fixture(scope="session")
def small_gene_run(tmp_path_factory):
    """A short conditional gene run (on `Class`) on the real AD biomarker demo written as a clinic's `.h5ad`: distinctive subject
    IDs, ages and genotypes in `obs`. Returns (run directory, the real subject IDs); tests that write copy it first (`copy_run`)."""
    from advae.gene.io import load_demo, write_h5ad
    d = tmp_path_factory.mktemp("gene_small")
    demo = load_demo("ad_biomarkers")
    ids = [f"ADRC-{7001 + 13 * i}" for i in range(len(demo.samples))]
    write_h5ad(d/"cohort.h5ad", demo.X, ids, demo.features, demo.obs.reset_index(drop=True))
    r = advae("--quiet", "gene", "run", "--data", d/"cohort.h5ad", "--label", "Class", "--out", d/"run",
              *sets("epochs=5", "kl_warmup=2", "n_synthetic=200", "augment_repeats=0"))
    assert r.returncode == 0, r.stderr
    return d/"run", ids


@pytest.fixture(scope="session")
def small_mri_run(tmp_path_factory):
    "A short unconditional MRI run on the demo brains (16 slices each, a tiny model). Tests that write copy it first (`copy_run`)."
    out = tmp_path_factory.mktemp("mri_small")/"run"
    r = advae("--quiet", "mri", "run", "--data", "demo", "--label", "none", "--out", out,
              *sets("n_slices=16", "epochs=2", "kl_warmup=1", "latent=8", "widths=8,16", "n_synthetic=8", "workers=1", "precision=fp32"))
    assert r.returncode == 0, r.stderr
    return out
