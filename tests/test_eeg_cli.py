"""The EEG pipeline through the `advae` command, on a small BIDS cohort in the OpenNeuro ds004504 layout built from
real packaged EEG (`advae.eeg.io.write_test_bids`: pieces of ONE real person's recording presented as subjects, with
placeholder participants.tsv values; it tests the machinery, not any finding), and the papermill report on the real
demo (bad inputs: tests/test_bad_inputs.py)."""
import json
import re

import mne
import numpy as np
import pytest

from conftest import ROOT, advae
from advae.eeg.io import write_test_bids
from advae.report import render

TINY = ["--set", "epochs=3", "--set", "kl_warmup=1", "--set", "latent=4", "--set", "widths=8,16", "--set", "n_synthetic=40",
        "--set", "augment_repeats=1", "--set", "augment_sizes=2", "--set", "prior=gmm"]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return write_test_bids(tmp_path_factory.mktemp("bids")/"ds", n_subjects=8, fmt="edf")


@pytest.fixture(scope="module")
def bids_run(cohort, tmp_path_factory):
    out = tmp_path_factory.mktemp("eeg")/"run"
    r = advae("--quiet", "eeg", "run", "--data", cohort, "--label", "Group", "--out", out, *TINY)
    assert r.returncode == 0, r.stderr
    return out


def test_the_split_is_by_subject_and_the_steps_are_logged(bids_run):
    log = json.loads((bids_run/"preprocess"/"log.json").read_text())
    split = json.loads((bids_run/"preprocess"/"split.json").read_text())
    assert log["kind"] == "bids" and log["split_how"].startswith("by subject") and log["sfreq"] == 128
    by_subject = {}
    for s, k in zip(split["subject"], split["split"]): by_subject.setdefault(s, set()).add(k)
    assert len(by_subject) == 8 and all(len(v) == 1 for v in by_subject.values())   # no subject in two splits
    assert {"train", "val", "test"} == {next(iter(v)) for v in by_subject.values()}
    assert split["n_times"] == 256 and split["classes"] == ["A", "C"]              # 2 s at 128 Hz, Group A / C
    assert any("average reference" in k for k in log["cleaning"])


def test_every_generator_answers_the_four_questions_with_band_power_errors(bids_run):
    m = json.loads((bids_run/"metrics.json").read_text())
    assert m["modality"] == "eeg"
    sets = {"VAE": m} | {k: m["baselines"][k] for k in ("phase_randomised", "gaussian_pca", "collapsed", "real (validation)")}
    for name, b in sets.items():
        e = b["synthetic"]["eeg"]
        assert set(e["band_power_error"]["median_by_band"]) == {"delta", "theta", "alpha", "beta", "gamma"}, name
        assert 0 <= b["synthetic"]["detection_auc"] <= 1 and 0 <= b["privacy"]["mia_auc"] <= 1, name
        assert b["synthetic"]["fid"] >= 0, name
    assert "tstr" in m["utility"]
    # the surrogates keep the training epochs' spectra: their band power is far closer to real than the collapsed mean's
    err = lambda k: sets[k]["synthetic"]["eeg"]["band_power_error"]["median"]
    assert err("phase_randomised") < err("collapsed")
    assert any("phase-randomised" in line for line in m["verdict"])


def test_synthetic_epochs_are_edf_and_arrays_that_say_synthetic(bids_run):
    syn = bids_run/"synthetic"
    side = json.loads((syn/"synthetic.json").read_text())
    assert side["synthetic"] is True and side["n"] == 40 and side["units"] == "microvolts"
    raw = mne.io.read_raw_edf(syn/"synthetic.edf", preload=True, verbose=False)
    assert raw.info["sfreq"] == 128 and len(raw.ch_names) == 14 and raw.n_times == 40 * 256
    assert all(d.startswith("SYNTHETIC epoch") for d in raw.annotations.description)
    assert set(d.split()[-1] for d in raw.annotations.description) <= {"A", "C"}
    amp = np.abs(raw.get_data() * 1e6)
    assert 0.1 < np.median(amp) < 500                                                # microvolts, not volts or counts
    assert "sub-" not in (syn/"synthetic.json").read_text()


def test_generate_one_class_and_select(bids_run, cohort, tmp_path):
    r = advae("--quiet", "eeg", "generate", bids_run, "--n", "6", "--class", "A")
    assert r.returncode == 0, r.stderr
    raw = mne.io.read_raw_edf(bids_run/"synthetic"/"synthetic_A.edf", verbose=False)
    assert all(d.endswith(" A") for d in raw.annotations.description) and len(raw.annotations) == 6
    out = tmp_path/"selected"
    r = advae("--quiet", "eeg", "preprocess", "--data", cohort, "--label", "Group", "--select", "Group in ('A')",
              "--out", out)
    assert r.returncode == 2 and "single class" in r.stderr                          # one group left: refused, no run
    assert not out.exists()


def test_external_evaluation(bids_run, tmp_path):
    "`evaluate --data` cuts another cohort as the run's own epochs were and judges against it (no positive control)."
    other = write_test_bids(tmp_path/"other", n_subjects=3, fmt="set")
    r = advae("--quiet", "eeg", "evaluate", bids_run, "--data", other)
    assert r.returncode == 0, r.stderr
    m = json.loads((bids_run/"external"/"other"/"metrics.json").read_text())
    assert list(m["reconstruction"]) == ["external"] and m["data"]["n_external_epochs"] > 0
    assert "real (validation)" not in m["baselines"] and "phase_randomised" in m["baselines"]
    r = advae("eeg", "evaluate", bids_run, "--data", "demo:erp")
    assert r.returncode == 2 and "channels" in r.stderr and "Traceback" not in r.stderr


def test_report_renders_on_the_real_demo(tmp_path):
    "papermill nbs/run_eeg.ipynb on the real ERP demo renders every section as a document."
    out_nb, run = tmp_path/"report.ipynb", tmp_path/"report-run"
    html = render(ROOT/"nbs"/"run_eeg.ipynb", out_nb, cwd=ROOT, out_dir=str(run), epochs=3, n_synthetic=60, augment_repeats=1)
    m = json.loads((run/"metrics.json").read_text())
    assert m["data"]["channels"] == ["FCz"] and m["data"]["label"] == "Condition"
    page = html.read_text()
    assert re.search(r"<h1[^>]*>EEG run report<", page)
    headings = re.findall(r"<h2[^>]*>([^<]+)<", page)
    assert headings[0] == "At a glance" and "Spectra: what EEG researchers check" in headings
    assert "phase_randomised" in page and "SYNTHETIC epochs" in page and "make_config(" not in page
    assert str(tmp_path) not in page and 'data-mime-type="application/vnd.jupyter.stderr"' not in page
