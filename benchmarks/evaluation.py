"""Benchmark: the evaluation module on 5,000 synthetic against 1,000 real samples of 500 features.

Inputs are SIMULATED (a 20-factor Gaussian with two classes; no real data is this large offline). The real side has
1,000 training and 1,000 held-out samples; every figure of one generator's block is computed: fidelity and diversity,
privacy and TSTR/TRTR (the augmentation experiment is timed apart: it fits generators, so its cost is theirs).
Writes benchmarks/results/evaluation.json and prints a table. Target (issue 4): under 60 s on 2 cores.
"""
import time
from pathlib import Path

import numpy as np

from _common import machine
from advae.core.io import write_json
from advae.evaluation.scorecard import assess
from advae.evaluation.space import fit_embedding
from advae.evaluation.utility import utility


def simulated(n: int, d: int, rng: np.random.Generator, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    "SIMULATED samples: 20 Gaussian factors through loadings `w` (20, d), a class shift and unit noise; returns (X (n, d), y (n,))."
    y = rng.integers(0, 2, n)
    return (rng.normal(size=(n, 20)) @ w + 0.5 * y[:, None] + rng.normal(size=(n, d))).astype(np.float32), y.astype(str)


def main() -> dict:
    rng = np.random.default_rng(0)
    d = 500
    w = rng.normal(size=(20, d)) * 0.5
    (tr, ytr), (te, yte), (syn, ys) = (simulated(n, d, rng, w) for n in (1000, 1000, 5000))
    t = {}
    t0 = time.perf_counter()
    emb = fit_embedding(tr)
    t["embedding"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    block = assess(emb(tr), emb(te), {"simulated": emb(syn)})["simulated"]
    t["fidelity_and_privacy"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    u = utility(tr, ytr, te, yte, {"simulated": (syn, ys)})["simulated"]
    t["tstr_and_trtr"] = time.perf_counter() - t0
    total = sum(t.values())
    res = {"benchmark": "evaluation", "inputs": "SIMULATED: 1,000 train + 1,000 held-out real-role samples and 5,000 synthetic, 500 features, 2 classes",
           "machine": machine(), "seconds": {k: round(v, 2) for k, v in t.items()} | {"total": round(total, 2)}, "target_seconds": 60,
           "meets_target": total < 60, "figures": {"detection_auc": block["synthetic"]["detection_auc"], "mmd": block["synthetic"]["mmd"],
                                                    "dcr_share_closer_to_train": block["privacy"]["dcr_share_closer_to_train"],
                                                    "mia_auc": block["privacy"]["mia_auc"], "tstr": u["tstr"], "trtr": u["trtr"]},
           "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    write_json(Path(__file__).parent/"results"/"evaluation.json", res)
    print(f"evaluation benchmark ({res['machine']['cores']} cores, {res['machine']['cpu']})")
    for k, v in res["seconds"].items(): print(f"  {k:24s} {v:8.2f} s")
    print(f"  target: under 60 s -> {'met' if res['meets_target'] else 'NOT met'}")
    return res


if __name__ == "__main__":
    main()
