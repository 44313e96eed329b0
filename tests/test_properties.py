"""Property-based tests (hypothesis): generated tables and settings thrown at the readers and the settings parser.

The only outcomes allowed are success, with a result that keeps its promises, or an `AdvaeError` whose message is
one line: never another exception, never a traceback for the user."""
import gzip
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from advae.core.errors import AdvaeError
from advae.core.config import config_keys, make_config, parse_sets, read_config_file
from advae.gene.io import NA_VALUES, read_expression, read_sample_sheet
from advae import pipeline
from advae.gene.pipeline import GENE, GeneConfig, load_input
from advae.mri.pipeline import MRIConfig
from advae.mri.io import read_metadata

# ADVAE_HYPOTHESIS_EXAMPLES=2000 searches longer (the default keeps the file to seconds)
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")   # a warning would be a second line on the terminal

FAST = settings(max_examples=int(os.environ.get("ADVAE_HYPOTHESIS_EXAMPLES", 80)), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def allowed(fn, *args, **kw):
    "Call `fn`: return its result, or None after an AdvaeError with a one-line message (any other exception fails the test)."
    try: return fn(*args, **kw)
    except AdvaeError as e:
        msg = str(e)
        assert msg.strip() and "\n" not in msg and "\r" not in msg and "Traceback" not in msg, repr(msg)
        return None


# ------------------------------------------------------------------------------------------------ tables
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
numbers = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True, width=32))
cells = st.one_of(numbers.map(str), numbers.map(lambda v: f"{v:.3g}" if isinstance(v, float) else str(v)),
                  st.sampled_from(NA_VALUES + ["inf", "-inf", "Infinity", "1e999", "0x10", "1,5", '"3"', " 4 "]), words)


def _number(v: float) -> str: return f"{v:.4g}"


@st.composite
def numeric_rows(draw) -> tuple[list[str], list[list[str]]]:
    "A header and rows that are mostly right: sample IDs (rarely repeated), a label (at times missing), values in 0..16 with some odd cells."
    n_genes, n_rows = draw(st.integers(1, 6)), draw(st.integers(3, 14))
    header = ["sample", "label", *(f"g{i}" for i in range(n_genes))]
    odd = st.one_of(st.floats(-1e3, 1e3, width=32).map(_number), st.integers(0, 3).map(str), cells)
    rows = [[f"s{i}" if draw(st.integers(0, 59)) else "s0", draw(st.sampled_from(["AD", "CN", "MCI", ""])),
             *(draw(odd) if draw(st.integers(0, 29)) == 0 else draw(st.floats(0, 16, width=32).map(_number)) for _ in range(n_genes))]
            for i in range(n_rows)]
    return header, rows


@st.composite
def tables(draw, mostly_right: bool = False) -> tuple[bytes, str]:
    """(file content, file name): raw bytes at times; else a header and rows, of random cells (ragged at times) or
    `numeric_rows`, with any separator, gzipped (and cut at times) or not. `mostly_right`: `numeric_rows` as a TSV."""
    if mostly_right:
        header, rows = draw(numeric_rows())
        return ("\n".join("\t".join(r) for r in [header, *rows]) + "\n").encode(), "x.tsv"
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300)), draw(st.sampled_from(["x.tsv", "x.csv", "x.tsv.gz", "x.txt"]))
    if draw(st.booleans()):
        n_cols, n_rows = draw(st.integers(0, 6)), draw(st.integers(0, 8))
        header = draw(st.lists(st.one_of(st.sampled_from(["sample", "ID", "gene", "g1", "g1", "label", ""]), words), min_size=n_cols, max_size=n_cols))
        ragged = draw(st.integers(0, 5)) == 0
        rows = [draw(st.lists(cells, min_size=0 if ragged else n_cols, max_size=n_cols + 2 if ragged else n_cols)) for _ in range(n_rows)]
    else: header, rows = draw(numeric_rows())
    sep = draw(st.sampled_from(["\t", ",", ";", " "]))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    text = eol.join(sep.join(r) for r in [header, *rows]) + draw(st.sampled_from([eol, ""]))
    data = text.encode("utf-8")
    name = "x" + draw(st.sampled_from([".tsv", ".csv", ".txt", ""]))
    if draw(st.booleans()):
        data, name = gzip.compress(data, mtime=0), name + ".gz"
        if draw(st.integers(0, 4)) == 0: data = data[:draw(st.integers(0, len(data)))]   # truncated
    return data, name


def _write(d: str, data: bytes, name: str) -> Path:
    p = Path(d)/name
    p.write_bytes(data)
    return p


@FAST
@given(tables(), st.sampled_from([None, "rows", "columns"]))
def test_expression_tables_read_or_one_line_error(table, samples_in):
    with tempfile.TemporaryDirectory() as d:
        p = _write(d, *table)
        data = allowed(read_expression, p, samples_in=samples_in)
    if data is not None:   # what a reader that succeeded promises
        n, m = data.X.shape
        assert data.X.dtype == np.float32 and n == len(data.samples) == len(data.obs) and m == len(data.features) >= 1
        assert not np.isinf(data.X).any() and len(set(data.samples)) == n
        axis = 0 if data.orientation == "rows" else 1
        assert not np.isnan(data.X).all(axis=axis).any()               # no column of the file without a value


@FAST
@given(st.one_of(tables(), tables(mostly_right=True)), st.sampled_from([None, "label", "label", "g1", "sample", "nope"]), st.sampled_from([None, "rows"]))
def test_gene_input_loads_or_one_line_error(table, label, samples_in):
    "The gene pipeline's input and preprocessing stages (read, label, duplicates, sizes, split, fitted transforms) on generated tables."
    with tempfile.TemporaryDirectory() as d:
        p = _write(d, *table)
        cfg = make_config(GeneConfig, {"data": str(p), "label": label, "samples_in": samples_in})
        data = allowed(load_input, cfg)
        if data is None: return
        assert data.X.shape[0] >= 4 and data.X.shape[1] >= 2
        if label: assert data.obs[label].notna().all()
        run = allowed(pipeline.preprocess, GENE, cfg, Path(d)/"run")
        event("preprocessed" if run is not None else "preprocessing refused")
        if run is not None:
            Z = run.pipeline().transform(data.X)
            assert Z.shape[0] == data.X.shape[0] and np.isfinite(Z).all()


@FAST
@given(tables())
def test_sample_sheets_and_metadata_read_or_one_line_error(table):
    data, name = table
    with tempfile.TemporaryDirectory() as d:
        sheet = allowed(read_sample_sheet, _write(d, data, name))
        meta = allowed(read_metadata, _write(d, data, name.split(".")[0] + ".csv"))
    for df in (sheet, meta):
        if df is not None: assert df.index.is_unique and len(df) >= 1


# ------------------------------------------------------------------------------------------------ settings
values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.just(10**400), st.floats(), words,
                                st.sampled_from(["0", "-1", "1e-3", "nan", "inf", "true", "none", "", "8,16", "0.7,0.15,0.15", "mse", "auto"])),
                      lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(words, inner, max_size=2)), max_leaves=6)


def settings_dicts(cls):
    keys = st.one_of(st.sampled_from(config_keys(cls)), words, st.sampled_from(["lattent", "learning_rate", "Epochs", "n-slices"]))
    return st.dictionaries(keys, values, max_size=5)


def _check_config(cfg, cls):
    assert isinstance(cfg, cls)
    assert cfg.model.latent >= 1 and cfg.train.epochs >= 1 and cfg.train.batch_size >= 1
    assert cfg.train.lr > 0 and math.isfinite(cfg.train.lr) and cfg.model.beta > 0


@pytest.mark.parametrize("cls", [GeneConfig, MRIConfig], ids=["gene", "mri"])
@FAST
@given(data=st.data())
def test_settings_dicts_make_a_config_or_one_line_error(cls, data):
    cfg = allowed(make_config, cls, data.draw(settings_dicts(cls)), "settings.toml")
    if cfg is not None: _check_config(cfg, cls)


set_args = st.lists(st.one_of(
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from(config_keys(GeneConfig) + config_keys(MRIConfig)), st.one_of(words, st.integers().map(str))),
    st.builds(lambda k, v: f"{k}={v}", words, words), words), max_size=5)


@pytest.mark.parametrize("cls", [GeneConfig, MRIConfig], ids=["gene", "mri"])
@FAST
@given(pairs=set_args)
def test_set_arguments_parse_or_one_line_error(cls, pairs):
    d = allowed(parse_sets, pairs)
    if d is None: return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in d.items())
    cfg = allowed(make_config, cls, d)
    if cfg is not None: _check_config(cfg, cls)


@FAST
@given(st.one_of(st.binary(max_size=200), words.map(str.encode), st.sampled_from([b"latent = 0", b"epochs: ten", b'{"lr": -1}', b"[x]\ny=1", b"- 1\n- 2"])),
       st.sampled_from(["c.toml", "c.yaml", "c.yml", "c.json", "c.ini"]))
def test_settings_files_parse_or_one_line_error(content, name):
    with tempfile.TemporaryDirectory() as d:
        values = allowed(read_config_file, _write(d, content, name))
    if values is not None:
        assert isinstance(values, dict)
        cfg = allowed(make_config, GeneConfig, values, name)
        if cfg is not None: _check_config(cfg, GeneConfig)
