#!/usr/bin/env bash
# The MRI training benchmark on one CUDA GPU, in under 5 minutes: prints its table and writes
# benchmarks/results/mri_train_cuda_<card>.json. Needs a CUDA build of torch (make setup TORCH=torch).
#   benchmarks/gpu.sh [--run PREPROCESSED_DEMO_RUN] [--budget SECONDS_OF_TRAINING]
# Without --run it preprocesses the demo brains first (needs nilearn and, for Colin27, Debian's mricron-data).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
"$PY" - <<'PYEOF' || exit 2
import sys, torch
if not torch.cuda.is_available():
    sys.exit(f"benchmarks/gpu.sh: no CUDA GPU visible to torch {torch.__version__} (a CPU build? run: make setup TORCH=torch)")
print(f"GPU: {torch.cuda.get_device_name(0)}; torch {torch.__version__}, CUDA {torch.version.cuda}")
PYEOF
exec timeout 290 "$PY" benchmarks/mri_train.py --device cuda --budget 60 "$@"
