"""`make demo`: run every pipeline on the embedded real demo data and render its report.

Writes, for each demo dataset, a run directory `runs/demo/<pipeline>-<name>/` and the rendered report
`runs/demo/<pipeline>-<name>.ipynb` / `.html` (papermill executes nbs/run_gene.ipynb, nbs/run_mri.ipynb or
nbs/run_eeg.ipynb on its defaults; `advae.report.render` writes the HTML document). Re-running replaces the earlier demo outputs."""
import json
import sys
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/"runs"/"demo"
GENE_DEMOS = {"tissue": "tissue", "ad_biomarkers": "Class"}
TABLE = [("demo:tissue (by tissue)", "gene-tissue", ["gaussian_pca", "marginals", "collapsed", "real (validation)"]),
         ("demo:ad_biomarkers (by Class)", "gene-ad_biomarkers", ["gaussian_pca", "marginals", "collapsed", "real (validation)"]),
         ("MRI demo (by brain)", "mri-demo", ["gaussian_pca", "mean_slice", "real (validation)"]),
         ("EEG demo:erp (by Condition)", "eeg-demo", ["phase_randomised", "gaussian_pca", "collapsed", "real (validation)"])]
NAMES = {"gaussian_pca": "Gaussian-PCA", "mean_slice": "mean slice", "real (validation)": "real held-out (validation)",
         "phase_randomised": "phase-randomised surrogates"}


def table() -> str:
    "The README's table of the demo's figures, from the runs' metrics.json (printed at the end of `make demo`)."
    lines = ["| run | generator | detection AUC | k-NN recall | density | share closer to train | attack AUC | TSTR (logistic) |",
             "|---|---|---|---|---|---|---|---|"]
    for title, stem, baselines in TABLE:
        m = json.loads((OUT/stem/"metrics.json").read_text())
        for i, name in enumerate(["VAE", *baselines]):
            b = m if name == "VAE" else m["baselines"][name]
            s, p, u = b["synthetic"], b["privacy"], b["utility"]
            tstr = f"{u['tstr']['logistic_regression']:.2f}"
            if name == "VAE" and u["trtr"]["logistic_regression"] != u["tstr"]["logistic_regression"]:
                tstr += f" (real: {u['trtr']['logistic_regression']:.2f})"
            lines.append(f"| {title if i == 0 else ''} | {NAMES.get(name, name)} | {s['detection_auc']:.2f} | "
                         f"{s['knn_recall']:.2f} | {s['density']:.2f} | {p['dcr_share_closer_to_train']:.2f} | {p['mia_auc']:.2f} | {tstr} |")
    return "\n".join(lines)


def eeg_table() -> str:
    "The README's table of the EEG demo's spectral figures, from its metrics.json."
    m = json.loads((OUT/"eeg-demo"/"metrics.json").read_text())
    bands = list(m["synthetic"]["eeg"]["band_power_error"]["median_by_band"])
    lines = ["| generator | median band-power error | " + " | ".join(bands) + " | log-spectral distance (dB) |",
             "|---|---|" + "---|" * len(bands) + "---|"]
    for name in ["VAE", *TABLE[-1][2]]:
        e = (m if name == "VAE" else m["baselines"][name])["synthetic"]["eeg"]
        by = e["band_power_error"]["median_by_band"]
        lines.append(f"| {NAMES.get(name, name)} | {e['band_power_error']['median']:.2f} | "
                     + " | ".join(f"{by[b]:.2f}" for b in bands) + f" | {e['log_spectral_distance_db']:.1f} |")
    return "\n".join(lines)


def main() -> int:
    from advae.cli import print_summary
    from advae.report import render
    OUT.mkdir(parents=True, exist_ok=True)
    reports = [("run_gene.ipynb", f"gene-{name}", dict(data=f"demo:{name}", label=label)) for name, label in GENE_DEMOS.items()]
    reports.append(("run_mri.ipynb", "mri-demo", dict(label="brain")))
    reports.append(("run_eeg.ipynb", "eeg-demo", {}))
    for nb, stem, params in reports:
        t0 = time.time()
        run_dir = OUT/stem
        html = render(ROOT/"nbs"/nb, OUT/f"{stem}.ipynb", cwd=ROOT, out_dir=str(run_dir.relative_to(ROOT)), **params)
        print(f"{stem} ({time.time() - t0:.0f} s), report {html.relative_to(ROOT)}:")
        print_summary(json.loads((run_dir/"metrics.json").read_text()), run_dir.relative_to(ROOT))
    print("\nThe README's table (What the demo shows):\n" + table())
    print("\nThe README's EEG table (relative band-power error against the held-out epochs):\n" + eeg_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
