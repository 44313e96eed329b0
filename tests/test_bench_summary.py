"""The benchmark table is built from the committed result files: every kind of result file in benchmarks/results/ must
give its rows (a renamed key in a benchmark's JSON breaks this, not `make bench` after a 10-minute run)."""
import copy
import importlib.util
import json
import sys
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parents[1]/"benchmarks"/"results"
BENCH_CPU = ("evaluation.json", "mri_preprocess_cpu.json", "mri_train_cpu.json", "expression_scale.json", "eeg_cpu.json")   # what `make bench` writes


def _load(name: str, file: str):
    spec = importlib.util.spec_from_file_location(name, RESULTS.parent/file)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _summary(): return _load("bench_summary", "summary.py")


def test_every_result_file_gives_rows():
    rows = _summary().rows()
    assert all(len(r) == 5 for r in rows)
    names = " | ".join(r[0] for r in rows)
    kinds = {json.loads(p.read_text())["benchmark"] for p in RESULTS.glob("*.json")}
    want = {"evaluation": "evaluation", "mri_preprocess": "MRI preprocessing", "mri_train": "MRI training step",
            "expression_scale": "expression at scale", "mri_seeds": "MRI CPU vs GPU", "mri_compile": "MRI training step variants",
            "mri_spatial": "MRI spatial VAE", "defaults_gene": "defaults chosen on validation data (gene)",
            "defaults_mri": "defaults chosen on validation data (mri)", "defaults_eeg": "defaults chosen on validation data (eeg)",
            "eeg": "EEG training"}
    assert kinds <= set(want), f"a result kind the table does not know: {kinds - set(want)}"
    gpu = any("cuda" in p.name for p in RESULTS.glob("mri_train*.json"))   # the seed spread shows only beside a GPU run
    missing = [k for k in kinds if want[k] not in names and (k != "mri_seeds" or gpu)]
    assert not missing, missing
    if "mri_train" in kinds: assert "time to its validation plateau" in " | ".join(r[2] for r in rows)


def test_share_of_peak_is_read_not_typed():
    "The fp32 row's share equals slices/s x FLOPs per slice / the peak in its own file."
    s = _summary()
    for r in s.load("mri_train*.json"):
        f32 = next(x for x in r["step"] if x["batch"] == 32 and x["precision"] == "fp32" and not x["channels_last"])
        share = f32["slices_per_s"] * r["flops_per_slice"]["total"] / 1e9 / f32["matmul_peak_gflops"]
        row = next(x for x in s.rows() if x[1] == s.where(r) and x[2] == "fp32, batch 32")
        assert s.pct(share) in row[3], (row, share)


@pytest.mark.parametrize("name", BENCH_CPU)
def test_cpu_results_record_instruction_sets(name):
    "Every file `make bench` writes states the CPU's instruction sets, torch's kernel choice and whether it has bf16 units."
    isa = json.loads((RESULTS/name).read_text())["machine"]["isa"]
    assert isinstance(isa["flags"], list) and all(isinstance(f, str) for f in isa["flags"]), isa
    assert isa["torch_capability"] in {"DEFAULT", "AVX2", "AVX512", "ZVECTOR", "VSX", "SVE256"}, isa
    assert isinstance(isa["bf16_units"], bool)
    assert isa["bf16_units"] == bool({"avx512_bf16", "amx_bf16"} & set(isa["flags"])) or isa["caps"], isa


def _state_skips(r: dict, s) -> None:
    "A CPU result without bf16 units has no bf16 step, says why in `skipped`, and the table and notes say it too."
    assert not any(x["precision"] == "bf16" and x["batch"] == 32 for x in r["step"]), r["step"]   # the advae default may be bf16 under caps
    assert "bf16" not in [p["precision"] for p in r["profile"]]
    assert r["skipped"] and all(x["variant"] and "bf16" in x["reason"] and "--all-variants" in x["reason"] for x in r["skipped"])
    row = next(x for x in s.rows() if x[1] == s.where(r) and x[2] == "bf16, batch 32")
    assert row[3].startswith("SKIPPED") and r["skipped"][0]["reason"] in row[3], row
    assert "no bf16 units" in s.where(r)


def test_skipped_variants_are_stated(tmp_path, monkeypatch):
    """The committed CPU file: where the CPU has no bf16 units, its bf16 variants are skipped with their reason. The file
    here comes from a CPU with bf16 units, so the same check also runs on a copy set up as `mri_train.py` writes it on one
    without (the skip entry from the benchmark's own code path)."""
    s = _summary()
    r = json.loads((RESULTS/"mri_train_cpu.json").read_text())
    if not r["machine"]["isa"]["bf16_units"]: _state_skips(r | {"_file": "mri_train_cpu.json"}, s)
    else: assert any(x["precision"] == "bf16" for x in r["step"]) and not r.get("skipped"), "bf16 units, yet bf16 skipped"
    # the same file as a CPU without bf16 units would have written it
    monkeypatch.syspath_prepend(str(RESULTS.parent))
    mt = _load("bench_mri_train", "mri_train.py")
    no = copy.deepcopy(r)
    no["machine"]["isa"] = mt.isa("flags : fpu sse4_2 avx avx2 fma f16c")
    no["step"] = [x for x in no["step"] if x["precision"] == "fp32" or x["advae_default"]]
    no["profile"] = [x for x in no["profile"] if x["precision"] == "fp32"]
    no["skipped"] = mt.skipped_variants(no["machine"]["isa"], no["device"])
    no["notes"] = mt.notes(no)
    assert any(n.startswith("skipped: ") for n in no["notes"])
    (tmp_path/"mri_train_cpu.json").write_text(json.dumps(no))
    monkeypatch.setattr(s, "RESULTS", tmp_path)
    _state_skips(no, s)
    assert "bf16 units: NO" in s.machines()[0][2]
