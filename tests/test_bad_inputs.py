"""Bad input gets a clear answer: every case of the corpus in tests/bad_inputs/ (see its README) goes through the
`advae` command and must end with exit code 2, exactly one line on stderr that starts with `advae: `, names the
offending file (and the row, column, header field or setting where one applies) and says what is wrong, no
traceback, and no run directory left behind.

The sweep runs every case through the command's entry point (`advae.cli.main`, what the `advae` script calls) in
one process, so it pays the imports once; a few cases also run as real `advae` processes and must answer the same."""
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from bad_inputs.make_corpus import CASES, F, HERE as CORPUS, files, readme
from conftest import XLSX, advae, one_line

# Runs argv lists (JSON on stdin) through advae.cli.main with stderr captured; every Python warning is shown (a fresh
# process would show each once), so a warning printed before the error fails the one-line rule here too.
SWEEP = """
import contextlib, io, json, sys, traceback, warnings
from advae.cli import main
warnings.simplefilter("always")
results = []
for argv in json.load(sys.stdin):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try: rc = main(argv)
        except BaseException: rc = 1; traceback.print_exc()
    results.append((rc, err.getvalue()))
json.dump(results, sys.stdout)
"""


def _argv(case, out) -> list[str]:
    return [str(CORPUS/a) if isinstance(a, F) else a for a in case.argv] + ["--out", str(out)]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> dict:
    "Every case run once: case id -> (process-like result with returncode and stderr, its run directory)."
    root = tmp_path_factory.mktemp("bad")
    argvs = [_argv(c, root/c.id/"run") for c in CASES]
    for c in CASES: (root/c.id).mkdir()
    p = subprocess.run([sys.executable, "-c", SWEEP], input=json.dumps(argvs), capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr
    return {c.id: (SimpleNamespace(returncode=rc, stderr=err), root/c.id/"run") for c, (rc, err) in zip(CASES, json.loads(p.stdout))}


def one_line_error(r, out, *contains) -> str:
    "Check the rules for a bad input on a finished `advae` process `r` whose run directory was `out`; returns the line."
    assert r.returncode == 2, (r.returncode, r.stderr)
    line = one_line(r.stderr)
    missing = [c for c in contains if c not in line]
    assert not missing, (missing, line)
    assert not out.exists(), sorted(map(str, out.rglob("*")))
    return line


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case, sweep):
    r, out = sweep[case.id]
    one_line_error(r, out, *([str(CORPUS/case.names)] if case.names else []), *case.expect)


@pytest.mark.parametrize("case", ["gene-truncated-gzip", "mri-4d", "set-unknown-key"])
def test_a_real_process_answers_the_same(case, sweep, tmp_path):
    c = next(c for c in CASES if c.id == case)
    r = advae(*_argv(c, tmp_path/"run"))
    line = one_line_error(r, tmp_path/"run")
    assert line == sweep[case][0].stderr.strip()


def test_debug_shows_the_traceback(tmp_path):
    case = next(c for c in CASES if c.id == "gene-empty")
    r = advae("--debug", *_argv(case, tmp_path/"run"))
    assert r.returncode != 0 and "Traceback" in r.stderr and "AdvaeError" in r.stderr and "file is empty" in r.stderr, r.stderr
    assert not (tmp_path/"run").exists()


def test_unreadable_file(tmp_path):
    p = tmp_path/"locked.tsv"
    p.write_bytes((CORPUS/"gene"/"ok.tsv").read_bytes())
    p.chmod(0)
    try:
        if os.access(p, os.R_OK): pytest.skip("running as root: chmod 000 does not stop reading (the corpus covers a folder named like a file)")
        one_line_error(advae("gene", "run", "--data", p, "--out", tmp_path/"run"), tmp_path/"run", str(p), "permission denied")
    finally: p.chmod(0o644)


@pytest.mark.parametrize("case", ["ids match no image", "select on missing column", "rare label class"])
def test_bad_oasis_metadata(case, release, tmp_path):
    "The OASIS-1 release layout with its real XLSX metadata (the conftest fixture) and a sample sheet."
    if case == "ids match no image":
        meta = tmp_path/"sheet.csv"; meta.write_text("ID,CDR\nnobody1,0.5\nnobody2,1\n")
        args, says = ["--metadata", meta], "matches any of the"
    elif case == "select on missing column":
        meta, args, says = XLSX, ["--metadata", XLSX, "--select", "Braak >= 3"], "no column 'Braak'"
    else:
        meta, args, says = XLSX, ["--metadata", XLSX, "--label", "CDR"], "'0' (1)"      # CDR 0 has a single subject here
    out = tmp_path/"run"
    one_line_error(advae("mri", "run", "--data", release, "--out", out, *args, "--set", "workers=1"), out, str(meta), says)


def test_corpus_is_what_the_script_writes():
    "The committed corpus is byte for byte what make_corpus.py writes (regenerate it after changing the script), and small."
    want = {**files(), "README.md": readme().encode()}
    have = {str(p.relative_to(CORPUS)): p.read_bytes() for p in CORPUS.rglob("*")
            if p.is_file() and p.name != "make_corpus.py" and "__pycache__" not in p.parts}
    assert sorted(have) == sorted(want)
    assert [k for k in want if have[k] != want[k]] == []
    assert sum(map(len, have.values())) < 512 * 1024
    assert len({c.id for c in CASES}) == len(CASES)
    for c in CASES:   # every input a case names exists, except the missing ones, which do not
        for a in (a for a in c.argv if isinstance(a, F)): assert (CORPUS/a).exists() != a.name.startswith("missing"), (c.id, a)
