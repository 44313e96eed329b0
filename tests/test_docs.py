"""The documentation build: `tools/docs.py` turns the notebooks into a site and README.md.

The site is built once, into a copy of the repository in a temporary folder (the real _proc/, _docs/ and
README.md are not touched), and checked for what a reader needs: a page for each exported module, and on
it the signature and docstring of each public function and class (the `show_doc` cells nbdev adds).
"""

import ast
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / "nbs"
DEFAULT_EXP = re.compile(r"^\s*#\|\s*default_exp\s+(\S+)", re.M)


def exported_modules() -> dict[str, Path]:
    "Map each module named by a `#| default_exp` to its notebook."
    out = {}
    for nb in sorted(NBS.glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for c in cells:
            src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            m = c["cell_type"] == "code" and DEFAULT_EXP.search(src)
            if m:
                out[m.group(1)] = nb
                break
    return out


def page_name(nb: Path) -> str:
    "The page nbdev (Quarto's `output-file`) gives a notebook: 00_core.ipynb -> core.html."
    return re.sub(r"^\d+[a-zA-Z0-9]*_", "", nb.name.lower()).removesuffix(".ipynb") + ".html"


def public_docs(module: str) -> dict[str, str]:
    "Top-level public functions and classes of advae/<module>.py (in `__all__` when it has one) with the first line of their docstring."
    tree = ast.parse((ROOT / "advae" / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
    names = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            names = set(ast.literal_eval(node.value))
    out = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            doc = ast.get_docstring(node)
            if doc and (names is None or node.name in names):
                out[node.name] = doc.strip().splitlines()[0]
    return out


def norm(s: str) -> str:
    "Text for comparison: no Markdown emphasis or code marks, no typographic quotes, dashes or ellipses, single spaces."
    typo = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2026": "...", "\u2013": "--", "\u2014": "---"}
    s = s.translate(str.maketrans({**typo, "`": None, "*": None}))
    return " ".join(s.split())


class Blocks(HTMLParser):
    "Collect the text of each `show_doc` output: a div with class cell-output-markdown."

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks, self.depth, self.cur = [], 0, None

    def handle_starttag(self, tag, attrs):
        if tag != "div":
            return
        if self.cur is not None:
            self.depth += 1
        elif "cell-output-markdown" in (dict(attrs).get("class") or "").split():
            self.cur, self.depth = [], 1

    def handle_endtag(self, tag):
        if tag == "div" and self.cur is not None:
            self.depth -= 1
            if self.depth == 0:
                self.blocks.append("".join(self.cur))
                self.cur = None

    def handle_data(self, data):
        if self.cur is not None:
            self.cur.append(data)


def doc_blocks(page_html: str) -> list[str]:
    p = Blocks()
    p.feed(page_html)
    return [norm(b) for b in p.blocks]


def missing_docs(page_html: str, docs: dict[str, str]) -> list[str]:
    "The names whose signature (`name(`) and docstring first line do not appear together in one show_doc block."
    blocks = doc_blocks(page_html)
    bad = []
    for name, first in docs.items():
        sig = re.compile(rf"(?<![\w.]){re.escape(name)}\s*\(")
        if not any(sig.search(b) and norm(first) in b for b in blocks):
            bad.append(f"{name}: {first!r}")
    return bad


def run_docs(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(repo / "tools" / "docs.py"), *args], cwd=repo, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    "A copy of the repository with its site built by tools/docs.py."
    repo = tmp_path_factory.mktemp("docs") / "repo"
    repo.mkdir()
    skip = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "_proc", "_docs", "sidebar.yml")
    for name in ("nbs", "advae", "tools"):
        shutil.copytree(ROOT / name, repo / name, ignore=skip)
    for name in ("pyproject.toml", "setup.py"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, repo / name)
    r = run_docs(repo)
    assert r.returncode == 0, f"tools/docs.py failed:\n{r.stderr[-3000:]}"
    assert "docs: error" not in r.stderr
    return repo, r


MODULES = exported_modules()


def test_modules_found():
    assert "core" in MODULES and len(MODULES) >= 5, MODULES


def test_index_page(built):
    repo, r = built
    index = repo / "_docs" / "index.html"
    assert index.is_file()
    assert str(index) in r.stdout  # the tool says where the site is
    text = index.read_text(encoding="utf-8")
    assert "<title>" in text and "advae" in text


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_page_shows_docs(built, module):
    repo, _ = built
    page = repo / "_docs" / page_name(MODULES[module])
    assert page.is_file(), f"no page for module {module} ({MODULES[module].name})"
    docs = public_docs(module)
    missing = missing_docs(page.read_text(encoding="utf-8"), docs)
    assert not missing, f"{page.name} lacks the signature or docstring of: {missing}"


def test_checker_can_fail(built):
    "Without its show_doc output, a page fails the check above."
    repo, _ = built
    docs = public_docs("core")
    assert docs
    page = (repo / "_docs" / page_name(MODULES["core"])).read_text(encoding="utf-8")
    assert not missing_docs(page, docs)
    stripped = page.replace("cell-output-markdown", "cell-output-gone")
    assert sorted(m.split(":")[0] for m in missing_docs(stripped, docs)) == sorted(docs)


def test_sidebar_lists_every_notebook(built):
    repo, _ = built
    index = (repo / "_docs" / "index.html").read_text(encoding="utf-8")
    for nb in NBS.glob("*.ipynb"):
        if not nb.name.startswith(("_", ".")):
            assert f'href="{page_name(nb)}"' in index, f"{nb.name} is not in the sidebar"


def test_readme(built):
    repo, _ = built
    readme = (repo / "README.md").read_bytes()
    text = readme.decode("utf-8")
    assert text.startswith("# ") and text.endswith("\n") and not text.endswith("\n\n")
    assert not re.search(r"^#\|", text, re.M), "nbdev directives leaked into README.md"
    assert "<!-- WARNING: THIS FILE WAS AUTOGENERATED! DO NOT EDIT! -->" in text
    r = run_docs(repo, "--readme-only")
    assert r.returncode == 0, r.stderr
    assert (repo / "README.md").read_bytes() == readme  # deterministic


def test_readme_only_fails_with_one_line(tmp_path):
    repo = tmp_path / "repo"
    (repo / "nbs").mkdir(parents=True)
    shutil.copytree(ROOT / "tools", repo / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", repo / "pyproject.toml")
    r = run_docs(repo, "--readme-only")
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("docs: error:") and "index.ipynb" in lines[0], r.stderr
    assert not (repo / "README.md").exists()


def test_nbdev_docs_config():
    "nbdev-docs and nbdev-preview (with Quarto) find their config: nbdev.yml as nbdev would write it, _quarto.yml merging it."
    import yaml
    from nbdev.config import get_config
    from nbdev.quarto import _nbdev_yml

    cfg = get_config(ROOT)
    vals = {k: cfg[k] for k in ["title", "description", "branch", "git_url", "doc_host", "doc_baseurl"]}
    vals["doc_path"] = cfg.doc_path.name
    assert (NBS / "nbdev.yml").read_text(encoding="utf-8") == _nbdev_yml.format(**vals)
    q = yaml.safe_load((NBS / "_quarto.yml").read_text(encoding="utf-8"))
    assert q["project"]["type"] == "website"
    assert {"nbdev.yml", "sidebar.yml"} <= set(q["metadata-files"])
    css = q["format"]["html"].get("css")
    assert css is None or (NBS / css).is_file()
