"""The short table of every benchmark result in benchmarks/results/*.json: prints it and writes benchmarks/results/summary.md.

Every figure is read from a result file that `make bench` (CPU), `benchmarks/gpu.sh` (CUDA) or `benchmarks/mri_compile.py` (by hand:
compile and other step variants against eager) wrote; none is typed in here.
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
    "The machine of a result: the GPU's name, or the CPU's cores and model with torch's kernels and whether it has bf16 units."
    m = r["machine"]
    if r.get("device") == "cuda": return m["gpu"]
    i = m.get("isa")
    if not i: return f"{m['cores']}-core {m['cpu']}"
    return (f"{m['cores']}-core {m['cpu']} ({i['torch_capability']}, {'bf16 units' if i['bf16_units'] else 'no bf16 units'}"
            + (", IMITATED by capping the kernel libraries" if i.get("caps") else "") + ")")


def isa_text(m: dict) -> str:
    "A machine block's instruction sets in one line (files written before they were recorded say so)."
    i = m.get("isa")
    if i is None: return "not recorded (written before the benchmarks recorded instruction sets)"
    caps = f"; imitated caps {', '.join(f'{k}={v}' for k, v in i['caps'].items())}" if i.get("caps") else ""
    return (f"{' '.join(i['flags']) or 'none of the listed'}; torch kernels {i['torch_capability']}; "
            f"bf16 units: {'yes' if i['bf16_units'] else 'NO'}{caps}")


def machines() -> list[tuple[str, str, str, str]]:
    """(result file, machine, instruction sets, load average) for every result file: the CPU's features decide which kernels and
    variants ran; a load average above the core count means other work competed for the cores."""
    out = []
    for p in sorted(RESULTS.glob("*.json")):
        m = json.loads(p.read_text())["machine"]
        load = "not recorded" if "load_average" not in m else (
            f"{m['load_average'][0]:.1f}" + (" (ABOVE the core count: figures low)" if m["load_average"][0] > m["cores"] else ""))
        out.append((p.name, f"{m['cores']}-core {m['cpu']}" + (f" + {m['gpu']}" if m.get("gpu") else ""), isa_text(m), load))
    return out


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
        b16 = next((x for x in r["step"] if x["batch"] == 32 and x["precision"] == "bf16" and not x["channels_last"]), None)
        skipped = "; ".join(f"{s['variant']}: {s['reason']}" for s in r.get("skipped", []))
        gf = r["flops_per_slice"]["total"] / 1e9
        flag = " (see the caveat in the notes)" if r.get("caveats") else ""
        mem = lambda x: f"{x['peak_gpu_mb']:.0f} MB GPU{flag}" if "peak_gpu_mb" in x else f"{x['peak_rss_mb']:.0f} MB RSS{flag}"
        out += [("MRI training step (real demo slices)", dev, "FLOPs per slice (forward + backward)", f"{gf:.2f} GFLOP", ""),
                ("MRI training step", dev, "measured matmul peak fp32 / bf16",
                 f"{pk['fp32']:.0f} / {pk['bf16']:.0f} GFLOP/s" if "bf16" in pk else f"{pk['fp32']:.0f} GFLOP/s / bf16 not measured (no bf16 units)", ""),
                ("MRI training step", dev, "fp32, batch 32", f"{f32['slices_per_s']:.0f} slices/s, {pct(f32['share_of_matmul_peak'])} of fp32 peak, {mem(f32)}",
                 (">= 70% of peak: " + ("met" if f32["share_of_matmul_peak"] >= 0.7 else "NOT met (see notes)")) if r["device"] == "cpu" else ""),
                ("MRI training step", dev, "bf16, batch 32",
                 f"{b16['slices_per_s']:.0f} slices/s, {pct(b16['share_of_matmul_peak'])} of bf16 peak, {mem(b16)}" if b16 else f"SKIPPED: {skipped}", ""),
                ("MRI training step", dev, f"advae default ({d['precision']}, batch {d['batch']})", f"{d['slices_per_s']:.0f} slices/s", "")]
        q = r["time_to_quality"]
        out += [("MRI time to quality (real demo, held-out SSIM)", dev, f"passes PCA ({q['pca_baseline_ssim']:.3f})",
                 f"{q['seconds_to_pass_pca']} s (epoch {q['epoch_pass_pca']})" if q["seconds_to_pass_pca"] is not None else "not within the budget", ""),
                ("MRI time to quality", dev, f"within 0.01 of its best ({q['best_test_ssim']:.3f})",
                 f"{q['seconds_to_within_0.01_of_best']} s (epoch {q['epoch_within_0.01_of_best']}); engine {q['engine_slices_per_s']:.0f} slices/s", "")]
        if "seconds_to_validation_plateau" in q:
            out.append(("MRI generator (MRIVAE; its prior is fitted after)", dev, "time to its validation plateau (within 2% of its best MSE)",
                        f"{q['seconds_to_validation_plateau']} s (epoch {q['epoch_validation_plateau']})", ""))
    for r in load("defaults_*.json"):
        c = r["chosen"]
        out.append((f"defaults chosen on validation data ({r['benchmark'].removeprefix('defaults_')})", "the demos",
                    "lowest mean validation score (detection AUC + 1 - k-NN recall)",
                    f"latent {c['model.latent']}, beta {c['model.beta']:g} (score {c['mean_val_score']:.3f})", ""))
    for r in load("mri_spatial*.json"):
        t = r["timing"][min(r["timing"], key=int)]
        out.append(("MRI spatial VAE + diffusion prior (experimental)", f"cpu, {t['threads']} thread(s)",
                    "time to its validation plateau, then the prior",
                    f"{t['plateau']['seconds']} s (epoch {t['plateau']['epoch']}) + prior {t['fit_prior_s']} s", ""))
    for r in load("eeg*.json"):
        pre, dev = r["preprocess"], where(r)
        out.append(("EEG preprocessing (real EEG as a BIDS cohort)", dev,
                    f"{pre['channels']} channels from {pre['input_hz']} Hz to 2-s epochs at 128 Hz",
                    f"{pre['epochs_per_s']:.0f} epochs/s", ""))
        for name, t in r["train"].items():
            out.append(("EEG training (real EEG, default EEGVAE)", dev, f"{name}, batch 32", f"{t['epochs_per_s']:.0f} epochs/s", ""))
    out += equivalence()
    for r in load("mri_compile*.json"):
        out += compile_rows(r)
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


def compile_rows(r: dict) -> list[tuple]:
    """One line per interleaved comparison (benchmarks/mri_compile.py): each variant's speed as a ratio to eager in the same
    process (median over rounds, with the rounds' interquartile range), the compile time, and which variants were clearly
    faster or slower (in at least 90% of the rounds)."""
    out = []
    for e in r["runs"]:
        vs, eager = e["variants"][1:], e["variants"][0]
        comp = next((v["compile_seconds"] for v in vs if v.get("compile_seconds") is not None), None)
        value = "; ".join(f"{v['variant']} {v['ratio_to_eager_median']:.2f}x (IQR {v['ratio_iqr'][0]:.2f}-{v['ratio_iqr'][1]:.2f})" for v in vs)
        value += f"; eager {eager['slices_per_s_median']:.0f} slices/s; {e['rounds']} rounds; load average {e['machine']['load_average'][0]:.1f} at the start" + (f"; compiling took {comp:.0f} s" if comp is not None else "")
        by = {k: [v["variant"] for v in vs if v["verdict"] == k] for k in ("faster", "slower")}
        verdict = "; ".join(f"{k}: {', '.join(n)}" for k, n in by.items() if n) or "no clear difference"
        out.append(("MRI training step variants (real demo slices, interleaved)", where(e | {"device": "cpu"}),
                    f"ratio to eager ({e['precision']}, batch {e['batch']}, {e['threads']} thread{'s' if e['threads'] > 1 else ''})",
                    value, verdict))
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
            "`benchmarks/gpu.sh` on a GPU, `benchmarks/mri_compile.py` by hand). Each JSON file states its inputs and the machine, "
            "with its instruction sets (see Machines below).\n\n" + "\n".join(md) + "\n")
    notes = ["\n".join([f"**{where(r)}**", ""] + [f"- {x}" for x in r["notes"] + r.get("caveats", [])]) for r in load("mri_train*.json")]
    mhead = ("result file", "machine", "instruction sets (from /proc/cpuinfo; torch's kernel choice; bf16 dot-product units)",
             "load average at the start (1 min)")
    text += ("\n## Machines\n\n" + "\n".join("| " + " | ".join(r) + " |" for r in [mhead, ("---",) * 4, *machines()]) + "\n")
    text += "\n## Notes from the MRI training benchmark\n\n" + "\n\n".join(notes) + "\n"
    tmp = RESULTS/".summary.md.tmp"
    tmp.write_text(text); tmp.replace(RESULTS/"summary.md")
    w = [max(len(str(r[i])) for r in [head, *table]) for i in range(5)]
    for r in [head, *table]: print("  ".join(str(v).ljust(w[i]) for i, v in enumerate(r)).rstrip())


if __name__ == "__main__":
    main()
