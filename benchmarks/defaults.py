"""The defaults of latent size and beta, chosen on validation data by advae's declared rule (GitHub issue 13, part 5).

For each demo dataset of a modality, the demo is preprocessed once (`advae <modality> preprocess`) and `advae <modality>
grid-search` trains every (latent, beta) on it, each configuration choosing its latent prior as `run` does and scored by
the selection rule of `advae.evaluation.selection` on the validation split: detection AUC + (1 - k-NN recall) of its
samples, lower is better. The default is the configuration with the lowest mean score over the demos. The test splits are
never looked at.

    python benchmarks/defaults.py gene            # tissue and ad_biomarkers, latent 8/16/32/64 x beta 0.5/1 (about 10 min)
    python benchmarks/defaults.py mri             # the MRI demo, latent 16/32 x beta 0.5/1 (about 10 min)
    python benchmarks/defaults.py eeg             # the EEG ERP demo, latent 8/16/32 x beta 0.5/1 (about 10 min)

Writes benchmarks/results/defaults_<modality>.json: every configuration's validation figures per demo, the mean score
and the chosen configuration. The package's defaults (`GeneModel`, `MRIModel`, `EEGModel`) cite it.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from _common import machine, result_path
from advae.core.io import write_json
from advae.evaluation.selection import SELECTION_RULE

ROOT = Path(__file__).resolve().parents[1]
ADVAE = str(Path(sys.executable).with_name("advae"))
DEMOS = {"gene": [["--data", "demo:tissue", "--label", "tissue"], ["--data", "demo:ad_biomarkers", "--label", "Class"]],
         "mri": [["--data", "demo", "--label", "brain"]], "eeg": [["--data", "demo", "--label", "Condition"]]}
GRID = {"gene": ("8,16,32,64", "0.5,1"), "mri": ("16,32", "0.5,1"), "eeg": ("8,16,32", "0.5,1")}


def grid(modality: str, demo: list[str], folder: Path, latents: str, betas: str) -> pd.DataFrame:
    "Preprocess one demo into `folder` and grid-search it; the results table."
    run = folder/demo[1].replace(":", "-")
    subprocess.run([ADVAE, "--quiet", modality, "preprocess", *demo, "--out", str(run)], check=True)
    subprocess.run([ADVAE, "--quiet", modality, "grid-search", str(run), "--latent", latents, "--lr", "0.001",
                    "--beta", betas, "--workers", "1"], check=True, stdout=subprocess.DEVNULL)
    return pd.read_csv(run/"grid"/"results.csv")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("modality", choices=sorted(DEMOS))
    args = p.parse_args()
    latents, betas = GRID[args.modality]
    tables = {}
    with tempfile.TemporaryDirectory() as tmp:
        for demo in DEMOS[args.modality]:
            tables[demo[1]] = grid(args.modality, demo, Path(tmp), latents, betas)
    cols = ["latent", "beta", "prior", "val_score", "val_detection_auc", "val_knn_recall", "val_closer_to_train"]
    both = pd.concat([t[[c for c in cols if c in t]].assign(demo=d) for d, t in tables.items()])
    mean = both.groupby(["latent", "beta"])["val_score"].mean().sort_values()
    (latent, beta), score = mean.index[0], float(mean.iloc[0])
    out = {"benchmark": f"defaults_{args.modality}", "machine": machine(), "rule": SELECTION_RULE,
           "how": "the (latent, beta) with the lowest mean validation score over the demos; learning rate 0.001",
           "chosen": {"model.latent": int(latent), "model.beta": float(beta), "mean_val_score": round(score, 4)},
           "mean_val_score": [{"latent": int(k[0]), "beta": float(k[1]), "mean_val_score": round(float(v), 4)}
                              for k, v in mean.items()],
           "per_demo": {d: t[[c for c in cols if c in t]].round(4).to_dict("records") for d, t in tables.items()}}
    write_json(result_path(f"defaults_{args.modality}"), out)
    print(mean.round(4).to_string())
    print(f"chosen: latent {int(latent)}, beta {beta:g} (mean validation score {score:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
