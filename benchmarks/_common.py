"""What every benchmark shares: a description of the machine, and where its results go (write them with `advae.core.write_json`: atomic)."""
import os
import platform
import re
import sys
from pathlib import Path

import torch

from advae.core.runs import memory_mb   # noqa: F401 (the benchmarks' memory reader: the stages' own)


RESULTS = Path(__file__).parent/"results"


# instruction-set extensions that decide which kernels run: vector width (avx2, avx512f), fused multiply-add, half/bf16
# conversions and dot products (f16c, avx512_bf16, avx512_fp16), int8 dot products (avx_vnni, avx512_vnni) and the AMX tiles
ISA_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
             "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8", "amx_fp16")
# oneDNN's ISA caps (ONEDNN_MAX_CPU_ISA) below which it has no bf16 dot-product kernels
_NO_BF16_CAPS = {"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI"}


def isa(cpuinfo: str | None = None) -> dict:
    """The CPU's instruction-set features that matter for torch: which of `ISA_FLAGS` /proc/cpuinfo lists, torch's own
    choice of kernels (`torch.backends.cpu.get_cpu_capability()`), and `bf16_units`: whether the CPU has bf16 dot-product
    units (avx512_bf16 or amx_bf16) that oneDNN may use. Without them bf16 autocast runs through slow conversion paths
    (3.7-6.2 slices/s against 63.7 in fp32 on an AVX2-only EPYC). Caps set in the environment (ATEN_CPU_CAPABILITY,
    ONEDNN_MAX_CPU_ISA, MKL_ENABLE_INSTRUCTIONS; e.g. to imitate an AVX2-only CPU) are recorded, and a oneDNN cap below
    AVX512_CORE_BF16 counts as no bf16 units."""
    if cpuinfo is None:
        try: cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError: cpuinfo = ""
    line = next((l for l in cpuinfo.splitlines() if l.startswith(("flags", "Features"))), "")
    have = set(line.split(":", 1)[1].split()) if ":" in line else set()
    caps = {k: os.environ[k] for k in ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS") if k in os.environ}
    units = bool(have & {"avx512_bf16", "amx_bf16"}) and caps.get("ONEDNN_MAX_CPU_ISA", "ALL").upper() not in _NO_BF16_CAPS
    return {"flags": [f for f in ISA_FLAGS if f in have], "torch_capability": torch.backends.cpu.get_cpu_capability(),
            "bf16_units": units, "caps": caps}


def machine() -> dict:
    """Cores, CPU model and instruction sets (`isa`), memory and GPU (if any) of this machine, with the Python and torch versions and
    the load average when the benchmark started (above the core count, other work competed for the cores and the figures are low)."""
    cpu = platform.processor()
    try: cpu = next(l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name"))
    except (OSError, StopIteration): pass
    try: mem = round(int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) / 2**20, 1)
    except (OSError, AttributeError): mem = None
    return {"cores": os.cpu_count(), "cpu": cpu, "isa": isa(), "memory_gb": mem, "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "python": sys.version.split()[0], "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def result_path(name: str, device: str = "cpu") -> Path:
    "benchmarks/results/<name>_cpu.json, or <name>_cuda_<card>.json with the GPU's name (e.g. mri_train_cuda_NVIDIA_H100_80GB_HBM3.json)."
    if device == "cpu": return RESULTS/f"{name}_cpu.json"
    return RESULTS/f"{name}_cuda_{re.sub(r'[^A-Za-z0-9]+', '_', torch.cuda.get_device_name(0)).strip('_')}.json"
