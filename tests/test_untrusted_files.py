"""Untrusted files: a weights, checkpoint, preprocessing or decoder-noise file that is truncated, modified, pickled, or does
not fit the run's config is refused by the command with one line naming the file (exit code 2); nothing is ever unpickled."""
import inspect
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from advae.cli import main
from advae.core.io import read_safetensors, write_safetensors
from advae.models.io import load_model, save_model
from conftest import ROOT, advae, copy_run


def refused(capsys, argv: list, file: Path) -> str:
    "Run the `advae` command in this process; it must fail with exit code 2 and one line naming `file`. Returns the line."
    code = main(["--quiet", *map(str, argv)])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith(f"advae: {file}: "), (code, err)
    return lines[0]


def truncate(f: Path) -> None: f.write_bytes(f.read_bytes()[: f.stat().st_size * 2 // 3])


def flip_last_byte(f: Path) -> None:
    "Flip one bit of the last tensor's bytes: still a well-formed safetensors file, but not the one advae wrote."
    raw = bytearray(f.read_bytes()); raw[-1] ^= 1; f.write_bytes(bytes(raw))


class _Marker:
    "Unpickling this creates a file: the proof that something was unpickled."
    def __init__(self, path): self.path = str(path)
    def __reduce__(self): return (open, (self.path, "w"))


def another_model(f: Path, **change) -> None:
    "Replace the weights file `f` with a valid one (checksum and all) of a model with other settings."
    m = load_model(f)
    save_model(type(m)(type(m.config)(**{**m.config.__dict__, **change})), f)


def other_shapes(f: Path) -> None:
    "Replace `f` with a valid file whose tensors do not fit the config stored in it (one layer of another width)."
    state, meta = read_safetensors(f)
    w = state["to_mu.weight"]
    write_safetensors(f, state | {"to_mu.weight": torch.zeros(w.shape[0] + 1, w.shape[1])}, meta)


GENE_CASES = {   # case: (file in the run, how it is spoiled, command, words the error must contain)
    "weights truncated": ("model/weights.safetensors", truncate, "generate", "not a valid safetensors weights file"),
    "weights modified": ("model/weights.safetensors", flip_last_byte, "evaluate", "does not match the checksum"),
    "weights pickled": ("model/weights.safetensors", "pickle", "generate", "not a valid safetensors weights file"),
    "weights of another model": ("model/weights.safetensors", lambda f: another_model(f, latent=3), "generate", "latent 3 (the run's config: 16)"),
    "weights that do not fit their config": ("model/weights.safetensors", other_shapes, "evaluate", "do not match the model config: to_mu.weight"),
    "checkpoint truncated": ("model/checkpoint.safetensors", truncate, "train", "start again without --resume"),
    "checkpoint modified": ("model/checkpoint.safetensors", flip_last_byte, "train", "does not match the checksum"),
    "preprocessing truncated": ("preprocess/pipeline.safetensors", truncate, "generate", "not a valid safetensors preprocessing file"),
    "preprocessing modified": ("preprocess/pipeline.safetensors", flip_last_byte, "evaluate", "does not match the checksum"),
    "preprocessing that does not fit pipeline.json": ("preprocess/pipeline.safetensors", "drop a value", "generate", "do not fit pipeline.json"),
    "decoder noise truncated": ("model/decoder_noise.safetensors", truncate, "generate", "not a valid safetensors decoder noise file"),
    "decoder noise of the wrong length": ("model/decoder_noise.safetensors", "drop a value", "generate", "one per feature"),
    "input modified": ("preprocess/input.safetensors", flip_last_byte, "train", "does not match the checksum"),
}


@pytest.mark.parametrize("case", GENE_CASES)
def test_spoiled_gene_files_are_refused_in_one_line(case, small_gene_run, tmp_path, capsys):
    rel, spoil, stage, words = GENE_CASES[case]
    run = copy_run(small_gene_run[0], tmp_path/"run")
    f = run/rel
    if spoil == "pickle": f.write_bytes(pickle.dumps({"state": _Marker(tmp_path/"unpickled")}))
    elif spoil == "drop a value":   # a valid file (checksum and all) whose largest array has lost a value
        arrays, meta = read_safetensors(f, "np")
        k = max(arrays, key=lambda k: arrays[k].size)
        write_safetensors(f, arrays | {k: arrays[k].reshape(-1)[:-1]}, meta)
    else: spoil(f)
    line = refused(capsys, ["gene", stage, run] + (["--resume"] if stage == "train" else []), f)
    assert words in line, line
    assert not (tmp_path/"unpickled").exists()


def test_a_real_process_refuses_a_pickle_without_a_traceback(small_gene_run, tmp_path):
    run = copy_run(small_gene_run[0], tmp_path/"run")
    torch.save({"weights": _Marker(tmp_path/"unpickled")}, run/"model"/"weights.safetensors")   # what a careless tool would torch.load
    r = advae("gene", "generate", run)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "weights.safetensors: not a valid safetensors weights file" in lines[0], r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path/"unpickled").exists()


@pytest.mark.parametrize("case", ["truncated", "another model", "shapes that do not fit their config", "NaN"])
def test_spoiled_mri_weights_are_refused_in_one_line(case, small_mri_run, tmp_path, capsys):
    run = copy_run(small_mri_run, tmp_path/"run")
    f = run/"model"/"weights.safetensors"
    if case == "truncated": truncate(f)
    elif case == "another model": another_model(f, widths=(8, 8))
    elif case == "NaN":
        state, meta = read_safetensors(f)
        write_safetensors(f, state | {"from_z.bias": torch.full_like(state["from_z.bias"], float("nan"))}, meta)
    else: other_shapes(f)
    words = {"truncated": "truncated or damaged", "another model": "widths (8, 8) (the run's config: (8, 16))",
             "shapes that do not fit their config": "do not match the model config", "NaN": "NaN or infinite values (from_z.bias)"}[case]
    assert words in refused(capsys, ["mri", "generate", run], f)


def test_nothing_in_the_package_can_unpickle():
    "No pickle, torch.load, joblib or pickled NumPy files anywhere in advae; numpy refuses pickles in np.load by default."
    src = {p.name: p.read_text() for p in (ROOT/"advae").glob("*.py")}
    banned = re.compile(r"\bimport pickle|\bpickle\.|torch\.load\b|\bjoblib\b|allow_pickle\s*=\s*True|read_pickle|\bdill\b|\bshelve\b|\bmarshal\b")
    found = {name: banned.findall(text) for name, text in src.items() if banned.search(text)}
    assert not found, found
    assert inspect.signature(np.load).parameters["allow_pickle"].default is False
    assert all(re.search(r"allow_pickle\s*=\s*False", call) or "allow_pickle" not in call
               for text in src.values() for call in re.findall(r"np\.load\([^)]*\)", text))
