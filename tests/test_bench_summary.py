"""The benchmark table is built from the committed result files: every kind of result file in benchmarks/results/ must
give its rows (a renamed key in a benchmark's JSON breaks this, not `make bench` after a 10-minute run)."""
import importlib.util
import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1]/"benchmarks"/"results"


def _summary():
    spec = importlib.util.spec_from_file_location("bench_summary", RESULTS.parent/"summary.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_result_file_gives_rows():
    rows = _summary().rows()
    assert all(len(r) == 5 for r in rows)
    names = " | ".join(r[0] for r in rows)
    kinds = {json.loads(p.read_text())["benchmark"] for p in RESULTS.glob("*.json")}
    want = {"evaluation": "evaluation", "mri_preprocess": "MRI preprocessing", "mri_train": "MRI training step",
            "expression_scale": "expression at scale", "mri_seeds": "MRI CPU vs GPU"}
    assert kinds <= set(want), f"a result kind the table does not know: {kinds - set(want)}"
    gpu = any("cuda" in p.name for p in RESULTS.glob("mri_train*.json"))   # the seed spread shows only beside a GPU run
    missing = [k for k in kinds if want[k] not in names and (k != "mri_seeds" or gpu)]
    assert not missing, missing


def test_share_of_peak_is_read_not_typed():
    "The fp32 row's share equals slices/s x FLOPs per slice / the peak in its own file."
    s = _summary()
    for r in s.load("mri_train*.json"):
        f32 = next(x for x in r["step"] if x["batch"] == 32 and x["precision"] == "fp32" and not x["channels_last"])
        share = f32["slices_per_s"] * r["flops_per_slice"]["total"] / 1e9 / f32["matmul_peak_gflops"]
        row = next(x for x in s.rows() if x[1] == s.where(r) and x[2] == "fp32, batch 32")
        assert s.pct(share) in row[3], (row, share)
