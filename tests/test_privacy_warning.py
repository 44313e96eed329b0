"""Patient privacy: `advae ... generate` records the privacy figures of the set it wrote (the ones `evaluate` computes) and warns
in one line when they fail; a set that copies training subjects is warned about, one drawn from held-out subjects is not;
synthetic outputs carry no identifier of a real subject; posterior resampling happens only when asked for."""
import gzip
import json

import nibabel as nib
import numpy as np
import pytest

from advae.gene.pipeline import GeneRun, synthetic_privacy as gene_privacy
from advae.mri.pipeline import MRIRun, synthetic_privacy as mri_privacy
from conftest import advae, copy_run

FIGURES = ("dcr_share_closer_to_train", "mia_auc", "at_risk", "n_train", "n_holdout", "n_synthetic")


def check_warning(stderr: str, side: dict, command: str) -> None:
    "One warning line, naming the failing figure and the evaluate command, exactly when the sidecar says the set is at risk."
    lines = stderr.strip().splitlines()
    if side["privacy"]["at_risk"]:
        assert len(lines) == 1 and "FAIL the privacy checks" in lines[0] and command in lines[0], stderr
        assert any(name in lines[0] for name in ("share closer to training", "membership-attack AUC")), lines[0]
    else: assert lines == [], stderr


@pytest.mark.parametrize("modality", ["gene", "mri"])
def test_generate_records_the_evaluation_privacy_figures_and_warns_when_they_fail(modality, small_gene_run, small_mri_run, tmp_path):
    src = small_gene_run[0] if modality == "gene" else small_mri_run
    run = copy_run(src, tmp_path/"run")
    r = advae("--quiet", modality, "generate", run)
    assert r.returncode == 0, r.stderr
    stem = run/"synthetic"/"synthetic"
    side, m = json.loads(stem.with_suffix(".json").read_text()), json.loads((run/"metrics.json").read_text())
    assert {k: side["privacy"][k] for k in FIGURES} == {k: m["privacy"][k] for k in FIGURES}   # the same set, judged the same way
    check_warning(r.stderr, side, f"advae {modality} evaluate {run}")
    assert ("FAIL the privacy checks" in (run/"log.txt").read_text()) == side["privacy"]["at_risk"]   # the run's log keeps it too


def test_copies_of_training_samples_are_warned_about_and_held_out_samples_are_not(small_gene_run, tmp_path, capsys):
    run = GeneRun(small_gene_run[0])
    pipe, (data, split) = run.pipeline(), run.input()
    X = pipe.clean(data.X)
    train, test = X[split == "train"], X[split == "test"]
    rng = np.random.default_rng(0)
    copies = train[rng.integers(0, len(train), 200)] * (1 + 0.01 * rng.standard_normal((200, X.shape[1])))   # training samples + 1% noise
    p = gene_privacy(run, pipe, data, split, copies, None, tmp_path/"copies.tsv")
    line, = capsys.readouterr().err.strip().splitlines()
    assert p["at_risk"] and line.startswith(f"warning: {tmp_path/'copies.tsv'}: ") and f"advae gene evaluate {run.path}" in line
    p = gene_privacy(run, pipe, data, split, test, None, tmp_path/"held_out.tsv")
    assert not p["at_risk"] and capsys.readouterr().err == ""
    impaired = data.obs["Class"].astype(str).to_numpy() == "Impaired"           # with --class, judged against that class only
    p = gene_privacy(run, pipe, data, split, X[(split == "train") & impaired], "Impaired", tmp_path/"impaired.tsv")
    assert p["at_risk"] and "class Impaired only" in p["against"] and p["n_train"] == ((split == "train") & impaired).sum()
    capsys.readouterr()


def test_copies_of_training_slices_are_warned_about_and_held_out_slices_are_not(small_mri_run, tmp_path, capsys):
    run = MRIRun(small_mri_run)
    model, split, store = run.model(), np.array(run.split()["split"]), run.store()
    train, test = (np.asarray(store.slices[np.flatnonzero(split == k)], dtype=np.float32) for k in ("train", "test"))
    copies = np.clip(train + 0.01 * np.random.default_rng(0).standard_normal(train.shape).astype(np.float32), -1, 1)
    assert mri_privacy(run, model, copies, None, None, tmp_path/"copies.nii.gz")["at_risk"]
    line, = capsys.readouterr().err.strip().splitlines()
    assert "copies.nii.gz" in line and "FAIL the privacy checks" in line and "advae mri evaluate" in line
    assert not mri_privacy(run, model, test, None, None, tmp_path/"held_out.nii.gz")["at_risk"] and capsys.readouterr().err == ""


def test_gene_synthetic_outputs_carry_no_real_subject_ids(small_gene_run, tmp_path):
    import anndata as ad
    run, ids = small_gene_run
    syn = run/"synthetic"
    files = sorted(p.name for p in syn.iterdir())
    assert files == ["synthetic.h5ad", "synthetic.json", "synthetic.tsv"]
    blobs = {f: (gzip.decompress if f.endswith(".gz") else bytes)((syn/f).read_bytes()) for f in files}
    leaks = {f: [i for i in ids if i.encode() in b] for f, b in blobs.items()}
    assert not any(leaks.values()), leaks
    a = ad.read_h5ad(syn/"synthetic.h5ad")
    assert list(a.obs.columns) == ["Class"] and all(s.startswith("synthetic_") for s in a.obs_names)    # no age, sex or genotype
    assert a.uns["advae"]["synthetic"] and "privacy" in a.uns["advae"]
    tsv = (syn/"synthetic.tsv").read_text().splitlines()
    assert all(line.split("\t")[0].startswith("synthetic_") for line in tsv[1:])


def test_mri_synthetic_outputs_carry_no_subject_ids_and_posterior_resampling_only_on_request(small_mri_run, tmp_path):
    run = copy_run(small_mri_run, tmp_path/"run")
    subjects = [s["id"] for s in json.loads((run/"preprocess"/"log.json").read_text())["subjects"]]
    assert subjects and all(s.encode() in (run/"preprocess"/"store"/"store.json").read_bytes() for s in subjects)   # the real IDs, as stored
    syn = run/"synthetic"
    img = nib.load(syn/"synthetic.nii.gz")
    header = gzip.decompress((syn/"synthetic.nii.gz").read_bytes())[: int(img.header["vox_offset"])]   # header and extensions
    for f, blob in {"synthetic.json": (syn/"synthetic.json").read_bytes(), "NIfTI header": header}.items():
        assert not [s for s in subjects if s.encode() in blob], f
    side = json.loads((syn/"synthetic.json").read_text())
    assert side["synthetic"] is True and side["posterior_resampling"] is False and not list(syn.glob("posterior*"))   # off by default
    r = advae("--quiet", "mri", "generate", run, "--n", "4", "--posterior")
    assert r.returncode == 0, r.stderr
    post = json.loads((syn/"posterior_resampled.json").read_text())
    assert post["synthetic"] is False and post["posterior_resampling"] is True and "real" in post["note"] and "privacy" in post
    check_warning(r.stderr, post, "advae mri evaluate")
