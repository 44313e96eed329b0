"""The four questions (faithful, diverse, private, useful) through the pipelines: every generator gets every figure,
the figures that must fail for a bad generator do, and `--no-baselines` leaves the baselines out."""
import json

import numpy as np

from advae.evaluation.privacy import copy_generator, privacy
from advae.evaluation.scorecard import (
    QUESTIONS, RECOMMEND_RULE, _distance, generator_blocks, scorecard, tie_band)
from advae.evaluation.space import fit_embedding
from advae.gene.io import load_demo
from conftest import advae, copy_run

KEYS = {"synthetic": ("detection_auc", "mmd", "alpha_precision", "beta_recall", "knn_precision", "knn_recall", "density",
                      "coverage"),
        "privacy": ("dcr_share_closer_to_train", "mia_auc")}
CONTROL = "real (validation)"


def _blocks(m: dict) -> dict:
    "The VAE's and each baseline generator's block (not the positive control, nor the reconstruction-only baseline)."
    return {"VAE": m} | {k: v for k, v in m["baselines"].items() if k not in ("training_mean", CONTROL)}


def test_gene_metrics_answer_the_four_questions_for_every_generator(tissue_run):
    out, m = tissue_run
    blocks = _blocks(m)
    assert set(blocks) == {"VAE", "gaussian_pca", "marginals", "collapsed"}
    for name, b in blocks.items():
        for part, keys in KEYS.items():
            for k in keys: assert np.isfinite(b[part][k]) and k in b[part]["spread"], (name, part, k)
        assert set(b["utility"]["tstr"]) == {"logistic_regression", "random_forest"}, name
        aug = b["utility"]["augmentation"]
        assert aug["generators_fitted_on"] == "each real subset only" and len(aug["gain"]["mean"]) == len(aug["sizes_per_class"]) >= 1, name
    for f in ("scorecard.png", "alpha_beta.png", "privacy.png", "augmentation.png"): assert (out/"plots"/f).stat().st_size > 0, f
    questions = {line.split(":")[0] for line in m["verdict"]}
    assert {"faithful", "diverse", "private", "useful"} <= questions, m["verdict"]


def test_collapsed_generator_is_caught_by_detection_and_recall(tissue_run):
    _, m = tissue_run
    col = m["baselines"]["collapsed"]["synthetic"]   # with a label: each tissue's training mean
    # k-NN recall: no real sample lies among its neighbourhoods (the radial beta-recall sees only its spread of radii)
    assert col["detection_auc"] > 0.9 and col["knn_recall"] < 0.1 and col["sd_ratio_median"] < 0.75, col


def test_positive_and_negative_controls_bracket_the_generators(tissue_run):
    """The validation split, scored like a generator, is the positive control: real data it is, so detection cannot
    tell it from the test split and it reaches the real data's regions; the collapsed generator is the negative one."""
    _, m = tissue_run
    pos, col = m["baselines"][CONTROL], m["baselines"]["collapsed"]
    assert pos["control"] == "positive" and col["control"] == "negative"
    assert all("control" not in b for name, b in _blocks(m).items() if name != "collapsed")
    s, c = pos["synthetic"], col["synthetic"]
    assert s["detection_auc"] <= 0.6 < c["detection_auc"], (s["detection_auc"], c["detection_auc"])
    assert s["knn_recall"] > c["knn_recall"] + 0.3 and s["beta_recall"] > c["beta_recall"], (s, c)
    for figure, sd in s["spread"].items(): assert np.isfinite(sd) and sd >= 0, figure
    assert s["spread"]["detection_auc"] > 0 and s["spread"]["knn_recall"] > 0
    assert 0.3 < pos["privacy"]["dcr_share_closer_to_train"] < 0.7 and not pos["privacy"]["at_risk"], pos["privacy"]
    assert set(pos["utility"]) == {"metric", "tstr", "trtr"}   # train on validation, test on test; no augmentation
    assert m["data"]["n_val"] >= 20, m["data"]                # tissue: 189 arrays, 15% for validation


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
    assert "recommendation" not in m                      # nothing to choose between without the baselines
    assert m["utility"]["augmentation"]["repeats"] == 1


def test_controls_are_ranked_first_and_last_on_the_judged_figures(tissue_run):
    """On every figure that answers a question of fidelity or diversity, the collapsed generator is the worst (or
    within the figures' spread of the worst), and real held-out data the best on recall and precision (or within the
    spread of the best); k-NN precision is left out, as a set collapsed onto the class means scores 1 on it."""
    _, m = tissue_run
    card, gens = scorecard(m), generator_blocks(m)
    for c in QUESTIONS["faithful"] + QUESTIONS["diverse"]:
        d = _distance(card, c)
        worst = d.drop("collapsed").idxmax()
        assert d["collapsed"] >= d[worst] - tie_band(gens["collapsed"], gens[worst], c), (c, d.round(3).to_dict())
    for c in ("k-NN recall", "beta-recall", "alpha-precision"):
        d = _distance(card, c)
        best = d.drop(CONTROL).idxmin()
        assert d[CONTROL] <= d[best] + tie_band(gens[CONTROL], gens[best], c), (c, d.round(3).to_dict())


def test_the_recommendation_names_a_generator_by_its_rule(tissue_run):
    """metrics.json says which generator to use: never a control, the lowest detection AUC + (1 - k-NN recall) or
    one within the spread of it, and the sentence quotes that generator's figures."""
    _, m = tissue_run
    rec, gens = m["recommendation"], generator_blocks(m)
    assert rec["rule"] == RECOMMEND_RULE
    assert not gens[rec["generator"]].get("control") and rec["generator"] in rec["tied"]
    scores = {n: b["synthetic"]["detection_auc"] + 1 - b["synthetic"]["knn_recall"]
              for n, b in gens.items() if not b.get("control")}
    best, rest = min(scores, key=scores.get), [n for n in scores if n not in rec["tied"]]
    assert best in rec["tied"] and all(scores[t] <= scores[n] for t in rec["tied"] for n in rest), (scores, rec)
    det = gens[rec["generator"]]["synthetic"]["detection_auc"]
    assert rec["why"].startswith(f"Use {rec['generator']} for this data: detection AUC {det:.2f}"), rec["why"]
