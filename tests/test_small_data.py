"""Pilot datasets too small for a held-out evaluation, through the real `advae` command and the papermill report.

Without `--no-holdout` such a set is refused before any work (the bad-input corpus holds those cases); with it, advae
trains on every sample, writes synthetic data, and every output (terminal, metrics.json, sidecar, report) says in
plain words that nothing was evaluated. The pilot matrices here are real: the first samples of the AD biomarker demo."""
import json

import numpy as np
import papermill as pm
import pytest

from advae.gene.io import load_demo, write_expression
from advae.pipeline import NOT_EVALUATED
from conftest import ROOT, advae, one_line, sets

QUICK = sets("epochs=3", "kl_warmup=1", "n_synthetic=20")


def _pilot(path, n: int):
    "The first `n` real samples of the AD biomarker demo as a samples-in-rows TSV at `path`."
    d = load_demo("ad_biomarkers")
    keep = np.arange(d.shape[0]) < n
    write_expression(path, d.X[keep], [s for s, k in zip(d.samples, keep) if k], d.features)
    return path


def _one_error(r, *contains):
    line = one_line(r.stderr)
    assert r.returncode == 2 and all(c in line for c in contains), (r.returncode, line)


@pytest.fixture(scope="module")
def pilot_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("pilot")
    data = _pilot(d/"six.tsv", 6)
    refused = advae("gene", "run", "--data", data, "--out", d/"refused", *QUICK)
    r = advae("gene", "run", "--data", data, "--no-holdout", "--out", d/"run", *QUICK)
    return d, refused, r


def test_a_pilot_set_is_refused_before_training_and_told_how(pilot_run):
    d, refused, _ = pilot_run
    _one_error(refused, str(d/"six.tsv"), "6 samples are too few", "use at least 7 samples", "--no-holdout")
    assert not (d/"refused").exists()


def test_no_holdout_trains_on_every_sample_and_says_nothing_was_evaluated(pilot_run):
    d, _, r = pilot_run
    assert r.returncode == 0, r.stderr
    assert NOT_EVALUATED in r.stdout
    run = d/"run"
    m = json.loads((run/"metrics.json").read_text())
    assert m["evaluated"] is False and m["note"] == NOT_EVALUATED and "synthetic" not in m
    assert set(json.loads((run/"preprocess"/"samples.json").read_text())["split"]) == {"train"}
    side = json.loads((run/"synthetic"/"synthetic.json").read_text())
    assert side["evaluated"] is False and NOT_EVALUATED in side["note"] and side["privacy"]["measured"] is False
    rows = (run/"synthetic"/"synthetic.tsv").read_text().strip().splitlines()
    assert len(rows) == 1 + 20 and side["synthetic"] is True


def test_evaluating_a_run_without_held_out_data(pilot_run, tmp_path):
    d, _, _ = pilot_run
    _one_error(advae("gene", "evaluate", d/"run"), str(d/"run"), "holds no held-out data", "--data")
    one = _pilot(tmp_path/"one.tsv", 1)
    _one_error(advae("gene", "evaluate", d/"run", "--data", one), str(one), "1 sample(s) are too few", "at least 2")
    _one_error(advae("gene", "grid-search", d/"run", "--latent", "4", "--epochs", "2"), "holds none (--no-holdout)")


def test_mri_without_held_out_slices(tmp_path):
    "The two real demo brains, a few slices each, trained on every slice."
    r = advae("--quiet", "mri", "run", "--data", "demo", "--label", "none", "--no-holdout", "--out", tmp_path/"run",
              "--device", "cpu", *sets("epochs=2", "n_slices=8", "latent=4", "widths=8,16", "n_synthetic=4", "workers=1",
                                      "precision=fp32"))
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path/"run"/"metrics.json").read_text())
    assert m["evaluated"] is False
    assert list(m["timing"]) == ["preprocess", "train", "generate"]           # each stage's time and memory, recorded
    assert all(e["seconds"] > 0 and 50 < e["peak_memory_mb"] < 2**20 for e in m["timing"].values()), m["timing"]
    split = json.loads((tmp_path/"run"/"preprocess"/"split.json").read_text())
    assert set(split["split"]) == {"train"} and "--no-holdout" in split["how"]
    side = json.loads((tmp_path/"run"/"synthetic"/"synthetic.json").read_text())
    assert side["evaluated"] is False and NOT_EVALUATED in side["note"]


def test_the_report_of_a_pilot_run_says_nothing_was_evaluated(tmp_path):
    out_nb = tmp_path/"report.ipynb"
    params = {"data": str(_pilot(tmp_path/"six.tsv", 6)), "label": None, "out_dir": str(tmp_path/"run"), "holdout": False,
              "epochs": 3, "n_synthetic": 20}
    pm.execute_notebook(str(ROOT/"nbs"/"run_gene.ipynb"), str(out_nb), parameters=params, kernel_name="python3",
                        progress_bar=False, cwd=str(ROOT))
    text = json.dumps(json.loads(out_nb.read_text()))
    assert NOT_EVALUATED in text                                   # in the first section, and in the sidecar's note
    assert "Faithful and diverse" not in text and "SYNTHETIC samples" in text
    assert "peak memory (MB)" in text and "train" in text                     # the stages' time and memory, still
