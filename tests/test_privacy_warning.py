"""Patient privacy: `advae ... generate` records the privacy figures of the set it wrote (the ones `evaluate` computes) and warns
in one line when they fail; a set that copies training subjects is warned about, one drawn from held-out subjects is not;
synthetic expression outputs carry no identifier of a real subject (MRI: test_mri_cli.py)."""
import gzip
import json

import numpy as np
import pytest

from advae.evaluation.privacy import privacy_warning
from advae.gene import GENE, GeneRun
from advae.mri import MRI, MRIRun
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


def judged(mod, run, x, label=None, path="x"):
    "The privacy figures of samples `x` (data units) in the run's shared space, as `generate` computes them, and its warning."
    ev = mod.eval_data(run, run.model())
    p = ev.space.privacy(ev.space.embed(mod.to_features(ev, x), None if label is None else [label] * len(x)), 0, label)
    return p, privacy_warning(p, path, f"advae {mod.name} evaluate {run.path}")


def test_copies_of_training_samples_are_warned_about_and_held_out_samples_are_not(small_gene_run, tmp_path, capsys):
    run = GeneRun(small_gene_run[0])
    pipe, (data, split) = run.pipeline(), run.input()
    X = pipe.clean(data.X)
    train, test = X[split == "train"], X[split == "test"]
    rng = np.random.default_rng(0)
    copies = train[rng.integers(0, len(train), 200)] * (1 + 0.01 * rng.standard_normal((200, X.shape[1])))   # training samples + 1% noise
    p, said = judged(GENE, run, copies, path=tmp_path/"copies.tsv")
    line, = capsys.readouterr().err.strip().splitlines()
    assert p["at_risk"] and line == said and line.startswith(f"warning: {tmp_path/'copies.tsv'}: ") and f"advae gene evaluate {run.path}" in line
    p, said = judged(GENE, run, test, path=tmp_path/"held_out.tsv")
    assert not p["at_risk"] and said is None and capsys.readouterr().err == ""
    impaired = data.obs["Class"].astype(str).to_numpy() == "Impaired"           # with --class, judged against that class only
    p, _ = judged(GENE, run, X[(split == "train") & impaired], "Impaired")
    assert p["at_risk"] and p["n_train"] == ((split == "train") & impaired).sum()
    capsys.readouterr()


def test_copies_of_training_slices_are_warned_about_and_held_out_slices_are_not(small_mri_run, tmp_path, capsys):
    run = MRIRun(small_mri_run)
    split, store = np.array(run.split()["split"]), run.store()
    train, test = (np.asarray(store.slices[np.flatnonzero(split == k)], dtype=np.float32) for k in ("train", "test"))
    copies = np.clip(train + 0.01 * np.random.default_rng(0).standard_normal(train.shape).astype(np.float32), -1, 1)
    assert judged(MRI, run, copies, path=tmp_path/"copies.nii.gz")[0]["at_risk"]
    line, = capsys.readouterr().err.strip().splitlines()
    assert "copies.nii.gz" in line and "FAIL the privacy checks" in line and "advae mri evaluate" in line
    assert not judged(MRI, run, test)[0]["at_risk"] and capsys.readouterr().err == ""


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
