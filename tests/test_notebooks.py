"""One pytest test per notebook in nbs/, run through nbdev's own runner (it honours `#| notest`,
`#| eval: false` and `skip_exec` frontmatter, as `nbdev-test` does)."""
from pathlib import Path

import pytest
from nbdev.test import test_nb as run_notebook   # renamed so pytest does not collect it

NBS = Path(__file__).resolve().parents[1]/"nbs"
NOTEBOOKS = sorted(p for p in NBS.rglob("*.ipynb") if not p.name.startswith(("_", ".")) and ".ipynb_checkpoints" not in p.parts)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[str(p.relative_to(NBS).with_suffix("")) for p in NOTEBOOKS])
def test_notebook(nb: Path):
    ok, seconds = run_notebook(nb, do_print=False)
    assert ok, f"{nb.name} failed (see the traceback above)"
