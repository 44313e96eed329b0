"""The four questions (faithful, diverse, private, useful) through the pipelines: every generator gets every figure,
the figures that must fail for a bad generator do, and `--no-baselines` leaves the baselines out."""
import json

import numpy as np

from advae.evaluation.privacy import copy_generator, privacy
from advae.evaluation.space import fit_embedding
from advae.gene.io import load_demo
from conftest import advae, copy_run

KEYS = {"synthetic": ("detection_auc", "mmd", "alpha_precision", "beta_recall"),
        "privacy": ("dcr_share_closer_to_train", "mia_auc")}


def _blocks(m: dict) -> dict:
    return {"VAE": m} | {k: v for k, v in m["baselines"].items() if k != "training_mean"}


def test_gene_metrics_answer_the_four_questions_for_every_generator(tissue_run):
    out, m = tissue_run
    blocks = _blocks(m)
    assert set(blocks) == {"VAE", "gaussian_pca", "marginals", "collapsed"}
    for name, b in blocks.items():
        for part, keys in KEYS.items():
            for k in keys: assert np.isfinite(b[part][k]), (name, part, k)
        assert set(b["utility"]["tstr"]) == {"logistic_regression", "random_forest"}, name
        aug = b["utility"]["augmentation"]
        assert aug["generators_fitted_on"] == "each real subset only" and len(aug["gain"]["mean"]) == len(aug["sizes_per_class"]) >= 1, name
    for f in ("scorecard.png", "alpha_beta.png", "privacy.png", "augmentation.png"): assert (out/"plots"/f).stat().st_size > 0, f
    questions = {line.split(":")[0] for line in m["verdict"]}
    assert {"faithful", "diverse", "private", "useful"} <= questions, m["verdict"]


def test_collapsed_generator_is_caught_by_detection_and_recall(tissue_run):
    _, m = tissue_run
    col = m["baselines"]["collapsed"]["synthetic"]   # with a label: each tissue's training mean
    assert col["detection_auc"] > 0.9 and col["beta_recall"] < 0.2 and col["sd_ratio_median"] < 0.75, col


def test_copy_generator_is_flagged_on_real_data():
    "The negative control on the real tissue arrays: training samples plus small noise fail both privacy checks."
    X = load_demo("tissue").X
    idx = np.random.default_rng(0).permutation(len(X))
    train, holdout = X[idx[:120]], X[idx[120:]]
    emb = fit_embedding(train)
    copies = copy_generator(train)(1000, np.random.default_rng(1))
    p = privacy(emb(train), emb(holdout), emb(copies))
    assert p["dcr_share_closer_to_train"] > 0.9 and p["mia_auc"] > 0.8 and p["at_risk"], p


def test_evaluate_without_baselines(tissue_run, tmp_path):
    run = copy_run(tissue_run[0], tmp_path/"run", augment_repeats=1, augment_sizes=[10])
    r = advae("--quiet", "gene", "evaluate", run, "--no-baselines")
    assert r.returncode == 0, r.stderr
    m = json.loads((run/"metrics.json").read_text())
    assert set(m["baselines"]) == {"training_mean"} and np.isfinite(m["privacy"]["mia_auc"])
    assert m["utility"]["augmentation"]["repeats"] == 1
