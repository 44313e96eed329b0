"""The short table of every benchmark result in benchmarks/results/*.json: prints it and writes benchmarks/results/summary.md.

Every figure is read from a result file that `make bench` (CPU) or `benchmarks/gpu.sh` (CUDA) wrote; none is typed in here.
"""
from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).parent/"results"


def load(pattern: str) -> list[dict]:
    return [json.loads(p.read_text()) | {"_file": p.name} for p in sorted(RESULTS.glob(pattern))]


def pct(x: float) -> str:
    "A share as a percentage, with one decimal below 10%."
    return f"{x:.1%}" if x < 0.1 else f"{x:.0%}"


def where(r: dict) -> str:
    m = r["machine"]
    return m["gpu"] if r.get("device") == "cuda" else f"{m['cores']}-core {m['cpu']}"


def rows() -> list[tuple[str, str, str, str, str]]:
    "(benchmark, machine, figure, value, target) rows."
    out = []
    for r in load("evaluation*.json"):
        out.append(("evaluation (SIMULATED 1,000 + 1,000 real-role, 5,000 synthetic, 500 features)", where(r), "wall time",
                    f"{r['seconds']['total']:.1f} s", f"< {r['target_seconds']} s: {'met' if r['meets_target'] else 'NOT met'}"))
    for r in load("mri_preprocess*.json"):
        big = max(x["subjects"] for x in r["runs"])
        for x in (x for x in r["runs"] if x["subjects"] == big):
            out.append(("MRI preprocessing (SIMULATED from the real demo brains)", where(r), f"{x['workers']} worker(s), {big} subjects",
                        f"{x['volumes_per_s']:.2f} volumes/s; peak RSS rise {x['main_rise_mb']:.0f} MB", ""))
        out.append(("MRI preprocessing", where(r), "peak memory against subjects", "flat" if r["memory_flat_in_subjects"] else "GROWS",
                    "does not grow: " + ("met" if r["memory_flat_in_subjects"] else "NOT met")))
    for r in load("mri_train*.json"):
        dev, pk = where(r), r["matmul_peak_gflops"]
        d = next(x for x in r["step"] if x["advae_default"])
        f32 = next(x for x in r["step"] if x["batch"] == 32 and x["precision"] == "fp32" and not x["channels_last"])
        b16 = next(x for x in r["step"] if x["batch"] == 32 and x["precision"] == "bf16" and not x["channels_last"])
        gf = r["flops_per_slice"]["total"] / 1e9
        flag = " (see the caveat in the notes)" if r.get("caveats") else ""
        mem = lambda x: f"{x['peak_gpu_mb']:.0f} MB GPU{flag}" if "peak_gpu_mb" in x else f"{x['peak_rss_mb']:.0f} MB RSS{flag}"
        out += [("MRI training step (real demo slices)", dev, "FLOPs per slice (forward + backward)", f"{gf:.2f} GFLOP", ""),
                ("MRI training step", dev, "measured matmul peak fp32 / bf16", f"{pk['fp32']:.0f} / {pk['bf16']:.0f} GFLOP/s", ""),
                ("MRI training step", dev, "fp32, batch 32", f"{f32['slices_per_s']:.0f} slices/s, {pct(f32['share_of_matmul_peak'])} of fp32 peak, {mem(f32)}",
                 (">= 70% of peak: " + ("met" if f32["share_of_matmul_peak"] >= 0.7 else "NOT met (see notes)")) if r["device"] == "cpu" else ""),
                ("MRI training step", dev, "bf16, batch 32", f"{b16['slices_per_s']:.0f} slices/s, {pct(b16['share_of_matmul_peak'])} of bf16 peak, {mem(b16)}", ""),
                ("MRI training step", dev, f"advae default ({d['precision']}, batch {d['batch']})", f"{d['slices_per_s']:.0f} slices/s", "")]
        q = r["time_to_quality"]
        out += [("MRI time to quality (real demo, held-out SSIM)", dev, f"passes PCA ({q['pca_baseline_ssim']:.3f})",
                 f"{q['seconds_to_pass_pca']} s (epoch {q['epoch_pass_pca']})" if q["seconds_to_pass_pca"] is not None else "not within the budget", ""),
                ("MRI time to quality", dev, f"within 0.01 of its best ({q['best_test_ssim']:.3f})",
                 f"{q['seconds_to_within_0.01_of_best']} s (epoch {q['epoch_within_0.01_of_best']}); engine {q['engine_slices_per_s']:.0f} slices/s", "")]
    out += equivalence()
    for r in load("expression_scale*.json"):
        out.append(expression_row(r))
    return out


def _window_mean(curve: list[dict], epochs: list[int]) -> float:
    "Mean held-out SSIM of a time-to-quality curve over `epochs`."
    by = {c["epoch"]: c["test_ssim"] for c in curve}
    return sum(by[e] for e in epochs) / len(epochs)


def equivalence() -> list[tuple]:
    """Same seed on CPU and on each GPU: mean held-out SSIM over the later half of the epochs both time-to-quality runs reached,
    set against the spread over seeds on CPU (`mri_seeds.py`) where that file exists: one GPU run is equivalent when it falls
    inside what changing the seed does on CPU."""
    runs = load("mri_train*.json")
    cpu = next((r for r in runs if r["device"] == "cpu"), None)
    seeds = next((r for r in load("mri_seeds*.json") if r["device"] == "cpu"), None)
    out = []
    for g in (r for r in runs if r["device"] == "cuda"):
        if cpu is None: break
        curves = [cpu["time_to_quality"]["curve"]] + ([s["curve"] for s in seeds["seeds"]] if seeds else [])
        common = set.intersection(*({c["epoch"] for c in cv} for cv in curves + [g["time_to_quality"]["curve"]]))
        if not common: continue
        late = [e for e in sorted(common) if e >= max(common) // 2]
        c_means = [_window_mean(cv, late) for cv in curves]
        g_mean = _window_mean(g["time_to_quality"]["curve"], late)
        value = f"CPU {c_means[0]:.3f}, GPU {g_mean:.3f} (difference {g_mean - c_means[0]:+.3f})"
        target = ""
        if seeds:
            lo, hi = min(c_means), max(c_means)
            value += f"; CPU over {len(c_means)} seeds {lo:.3f}-{hi:.3f}"
            target = "GPU within the CPU seed range: " + ("yes" if lo <= g_mean <= hi else "NO")
        else:
            target = "no CPU seed spread on file (benchmarks/mri_seeds.py)"
        out.append(("MRI CPU vs GPU, same seed", f"{where(cpu)} / {where(g)}", f"held-out SSIM, mean over epochs {late[0]}-{late[-1]}", value, target))
    return out


def expression_row(r: dict) -> tuple:
    "One line for the expression-at-scale result."
    mem = r["memory"]
    return ("expression at scale (1,000 x 40,000, RESAMPLED from real arrays)", where(r), "preprocess, train, generate 5,000, evaluate",
            f"{r['seconds']['total']:.0f} s end to end; peak memory {mem['peak_minus_baseline_mb']:.0f} MB over the imports",
            f"<= {mem['bound_mb']:.0f} MB (3x the float32 matrix): " + ("met" if mem["within_bound"] else "NOT met"))


def main() -> None:
    table = rows()
    head = ("benchmark", "machine", "figure", "value", "target")
    md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(map(str, r)) + " |" for r in table]
    text = ("# Benchmark results\n\nWritten by `benchmarks/summary.py` from the JSON files beside it (`make bench` on CPU, "
            "`benchmarks/gpu.sh` on a GPU). Each JSON file states its inputs and the machine.\n\n" + "\n".join(md) + "\n")
    notes = ["\n".join([f"**{where(r)}**", ""] + [f"- {x}" for x in r["notes"] + r.get("caveats", [])]) for r in load("mri_train*.json")]
    text += "\n## Notes from the MRI training benchmark\n\n" + "\n\n".join(notes) + "\n"
    tmp = RESULTS/".summary.md.tmp"
    tmp.write_text(text); tmp.replace(RESULTS/"summary.md")
    w = [max(len(str(r[i])) for r in [head, *table]) for i in range(5)]
    for r in [head, *table]: print("  ".join(str(v).ljust(w[i]) for i, v in enumerate(r)).rstrip())


if __name__ == "__main__":
    main()
