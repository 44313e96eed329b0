"""Kill-and-resume of a real training process, and the papermill report on its defaults."""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from safetensors.torch import load_file

from advae.report import render

from conftest import ROOT, advae

SETTINGS = ["--set", "epochs=120", "--set", "patience=1000", "--set", "n_synthetic=50", "--set", "augment_repeats=0"]


def _progress(ckpt: Path) -> int:
    "Epoch of the last checkpoint, or -1 (the file is replaced atomically, so it is never half-written)."
    if not ckpt.exists(): return -1
    from advae.core.io import read_safetensors
    return json.loads(read_safetensors(ckpt)[1]["progress"])["epoch"]


def test_kill_and_resume_gives_the_uninterrupted_weights(tmp_path):
    ref = tmp_path/"ref"
    assert advae("--quiet", "gene", "run", "--data", "demo:ad_biomarkers", "--out", ref, *SETTINGS).returncode == 0
    out = tmp_path/"killed"
    p = subprocess.Popen([sys.executable, "-m", "advae", "--quiet", "gene", "run", "--data", "demo:ad_biomarkers", "--out", str(out), *SETTINGS],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while _progress(out/"model"/"checkpoint.safetensors") < 30:
        assert p.poll() is None and time.time() - t0 < 300, "training ended or stalled before it could be killed"
        time.sleep(0.05)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    killed_at = _progress(out/"model"/"checkpoint.safetensors")
    assert 30 <= killed_at < 119 and not (out/"model"/"weights.safetensors").exists()
    # a kill during a checkpoint write leaves atomic_path's temporary file; plant one so that the test does not hang on timing
    (out/"model"/".checkpoint.safetensors.k1ll3d0x.tmp.safetensors").write_bytes(b"half-written")
    r = advae("--quiet", "gene", "run", "--data", "demo:ad_biomarkers", "--out", out, *SETTINGS, "--resume")
    assert r.returncode == 0, r.stderr
    assert f"resuming from the checkpoint of epoch {killed_at}" in (out/"log.txt").read_text()
    assert not list((out/"model").glob(".*.tmp*")), "the resumed run left a half-written file behind"
    a, b = load_file(ref/"model"/"weights.safetensors"), load_file(out/"model"/"weights.safetensors")
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
    assert (ref/"synthetic"/"synthetic.tsv").read_bytes() == (out/"synthetic"/"synthetic.tsv").read_bytes()


def test_resume_with_other_settings_is_refused(tmp_path):
    out = tmp_path/"run"
    assert advae("--quiet", "gene", "run", "--data", "demo:ad_biomarkers", "--out", out, "--set", "epochs=3").returncode == 0
    r = advae("gene", "run", "--data", "demo:ad_biomarkers", "--out", out, "--set", "epochs=5", "--resume")
    assert r.returncode == 2 and "different settings" in r.stderr


def test_report_renders_on_its_defaults(tmp_path):
    """papermill nbs/run_gene.ipynb on its defaults (plus injected parameters) renders the whole run, and its HTML is a
    document: a title, "At a glance" first, no code, no warning boxes, no absolute paths."""
    out_nb, run = tmp_path/"report.ipynb", tmp_path/"report-run"
    html = render(ROOT/"nbs"/"run_gene.ipynb", out_nb, cwd=ROOT, out_dir=str(run), n_synthetic=300, augment_repeats=1)
    nb = json.loads(out_nb.read_text())
    images = sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
    assert images >= 9   # loss curves, latent space, histograms, moments, correlations, scorecard, alpha/beta, privacy, augmentation
    side = json.loads((run/"synthetic"/"synthetic.json").read_text())
    assert side["n"] == 300 and side["synthetic"] is True          # the injected parameter reached the run
    text = json.dumps(nb)
    assert "VAE (posterior mean)" in text and "gaussian_pca" in text and "SYNTHETIC" in text
    assert all(q in text for q in ("Faithful and diverse", "Private", "Useful", "TRTR", "real + VAE"))   # the four questions
    page = html.read_text()
    assert re.search(r"<h1[^>]*>Gene-expression run report<", page) and "title:" not in page
    headings = re.findall(r"<h2[^>]*>([^<]+)<", page)
    assert headings[0] == "At a glance" and headings[-1] == "Appendix: the whole verdict", headings
    assert "best generator" in page and "faithful" in page and "the whole verdict" not in page.split("Appendix")[0]
    assert "make_config(" not in page and "import json" not in page          # code hidden: the .ipynb keeps it
    assert "make_config(" in text
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in page and "Warning" not in page, "a warning box"
    assert str(tmp_path) not in page and str(ROOT) not in page, "an absolute path in the report"
