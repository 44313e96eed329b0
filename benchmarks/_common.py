"""What every benchmark shares: a description of the machine, and where its results go (write them with `advae.core.write_json`: atomic)."""
import os
import platform
import re
import sys
from pathlib import Path

import torch

from advae.core.runs import memory_mb   # noqa: F401 (the benchmarks' memory reader: the stages' own)


RESULTS = Path(__file__).parent/"results"


def machine() -> dict:
    "Cores, CPU model, memory and GPU (if any) of this machine, with the Python and torch versions."
    cpu = platform.processor()
    try: cpu = next(l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name"))
    except (OSError, StopIteration): pass
    try: mem = round(int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) / 2**20, 1)
    except (OSError, AttributeError): mem = None
    return {"cores": os.cpu_count(), "cpu": cpu, "memory_gb": mem, "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "python": sys.version.split()[0], "torch": torch.__version__, "torch_threads": torch.get_num_threads()}


def result_path(name: str, device: str = "cpu") -> Path:
    "benchmarks/results/<name>_cpu.json, or <name>_cuda_<card>.json with the GPU's name (e.g. mri_train_cuda_NVIDIA_H100_80GB_HBM3.json)."
    if device == "cpu": return RESULTS/f"{name}_cpu.json"
    return RESULTS/f"{name}_cuda_{re.sub(r'[^A-Za-z0-9]+', '_', torch.cuda.get_device_name(0)).strip('_')}.json"
