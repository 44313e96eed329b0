"""The documentation build: `tools/docs.py` turns the notebooks into a site and README.md.

The site is built once, into a copy of the repository in a temporary folder (the real _proc/, _docs/ and
README.md are not touched), and checked for what a reader needs: a page for each exported module (notebooks sit
in one folder per package: nbs/gene/03_pipeline.ipynb is the page gene/pipeline.html), and on it the signature
and docstring of each public function and class (the `show_doc` cells nbdev adds); a sidebar in reading order;
no broken link between pages; and the architecture page with its diagram, drawn from the code during the build.
"""

import ast
import base64
import html
import json
import re
import shutil
import struct
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / "nbs"
DEFAULT_EXP = re.compile(r"^\s*#\|\s*default_exp\s+(\S+)", re.M)


def notebooks(nbs: Path = NBS) -> list[Path]:
    "The notebooks that are pages of the site: every .ipynb under nbs/, but none in or named like _x or .x."
    def shown(p):
        return not any(s.startswith(("_", ".")) for s in p.relative_to(nbs).parts)
    return sorted(p for p in nbs.rglob("*.ipynb") if shown(p))


def exported_modules() -> dict[str, Path]:
    "Map each module named by a `#| default_exp` to its notebook."
    out = {}
    for nb in notebooks():
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for c in cells:
            src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            m = c["cell_type"] == "code" and DEFAULT_EXP.search(src)
            if m:
                out[m.group(1)] = nb
                break
    return out


def page_name(nb: Path) -> str:
    """The page nbdev (Quarto's `output-file`) gives a notebook: its folder, and its name without the number prefix
    (gene/03_pipeline.ipynb -> gene/pipeline.html)."""
    rel = nb.relative_to(NBS)
    name = re.sub(r"^\d+[a-zA-Z0-9]*_", "", rel.name.lower()).removesuffix(".ipynb") + ".html"
    return (rel.parent / name).as_posix()


def module_file(module: str) -> Path:
    "The file of a module named as in `#| default_exp` (`gene.io`, `core.__init__`)."
    return ROOT / "advae" / (module.replace(".", "/") + ".py")


def public_docs(module: str) -> dict[str, str]:
    "Top-level public functions and classes of a module (in `__all__` when it has one) with the first line of their docstring."
    tree = ast.parse(module_file(module).read_text(encoding="utf-8"))
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


class Sidebar(HTMLParser):
    """Read a page's sidebar as `(section, kind, value)` entries in order: kind 'section' (value: its title) or
    'page' (value: the href); `section` is the section that holds the entry, None at the top level."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.entries, self.sections, self.naming, self.in_nav, self.in_text = [], [], False, 0, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "nav" and (a.get("id") == "quarto-sidebar" or self.in_nav):
            self.in_nav += 1
        if not self.in_nav:
            return
        if tag == "li" and "sidebar-item-section" in cls:
            self.naming = True
        elif tag == "ul" and "sidebar-section" in cls:
            self.sections.append(self.entries[-1][2] if self.entries and self.entries[-1][1] == "section" else None)
        elif tag == "ul" and self.sections:
            self.sections.append(self.sections[-1])
        elif tag == "a" and "sidebar-link" in cls and a.get("href") and not self.naming:
            self.entries.append((self.sections[-1] if self.sections else None, "page", a["href"]))
        elif tag == "span" and "menu-text" in cls and self.naming:
            self.in_text = True

    def handle_endtag(self, tag):
        if tag == "nav" and self.in_nav:
            self.in_nav -= 1
        elif tag == "ul" and self.in_nav and self.sections:
            self.sections.pop()
        elif tag == "span":
            self.in_text = False

    def handle_data(self, data):
        if self.in_text and self.naming:
            self.entries.append((self.sections[-1] if self.sections else None, "section", data.strip()))
            self.naming = self.in_text = False


def sidebar(page_html: str) -> list[tuple]:
    p = Sidebar()
    p.feed(page_html)
    return p.entries


def broken_links(site: Path) -> list[str]:
    """Every link or source in the pages of `site` that points to a file of the site that is not there, or to an
    anchor that its page lacks, as 'page: href'. Links to other sites are not followed."""
    ids: dict[Path, set[str]] = {}
    bad = []
    for page in sorted(site.rglob("*.html")):
        if "site_libs" in page.relative_to(site).parts:
            continue
        for href in re.findall(r'\s(?:href|src)="([^"]*)"', page.read_text(encoding="utf-8")):
            href = html.unescape(href)
            u = urlsplit(href)
            if u.scheme or u.netloc or not u.path:
                continue
            target = (page.parent / unquote(u.path)).resolve()
            if not target.is_file():
                bad.append(f"{page.relative_to(site)}: {href}")
            elif u.fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = set(re.findall(r'\sid="([^"]*)"', target.read_text(encoding="utf-8")))
                if unquote(u.fragment) not in ids[target]:
                    bad.append(f"{page.relative_to(site)}: {href}")
    return bad


def png_size(data: bytes) -> tuple[int, int]:
    "Width and height of a PNG image."
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def run_docs(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(repo / "tools" / "docs.py"), *args], cwd=repo, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    "A copy of the repository with its site built by tools/docs.py."
    repo = tmp_path_factory.mktemp("docs") / "repo"
    repo.mkdir()
    skip = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "_proc", "_docs", "sidebar.yml")
    for name in ("nbs", "advae", "tools", "benchmarks"):  # the README links benchmarks/results/summary.md
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, repo / name, ignore=skip)
    for name in ("pyproject.toml", "setup.py"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, repo / name)
    r = run_docs(repo)
    assert r.returncode == 0, f"tools/docs.py failed:\n{r.stderr[-3000:]}"
    assert "docs: error" not in r.stderr
    return repo, r


MODULES = exported_modules()
PACKAGES = sorted(p.parent.name for p in NBS.glob("*/index.ipynb"))


def test_modules_found():
    "A module for each notebook of the package layout: each package's __init__ and its modules, the top-level ones."
    assert {"core", "models", "training", "evaluation", "gene", "mri"} <= set(PACKAGES), PACKAGES
    for pkg in PACKAGES:
        init = MODULES.get(f"{pkg}.__init__")
        assert init == NBS / pkg / "index.ipynb", f"nbs/{pkg}/index.ipynb exports no {pkg}/__init__.py"
        assert any(m.startswith(f"{pkg}.") and m != f"{pkg}.__init__" for m in MODULES), f"no module of {pkg}"
    assert {"core.errors", "gene.io", "baselines", "cli"} <= set(MODULES)
    assert all(module_file(m).is_file() for m in MODULES), [m for m in MODULES if not module_file(m).is_file()]


def test_page_names():
    assert page_name(NBS / "gene" / "03_pipeline.ipynb") == "gene/pipeline.html"
    assert page_name(NBS / "core" / "index.ipynb") == "core/index.html"
    assert page_name(NBS / "cli.ipynb") == "cli.html"


def test_index_page(built):
    repo, r = built
    index = repo / "_docs" / "index.html"
    assert index.is_file()
    assert str(index) in r.stdout  # the tool says where the site is
    text = index.read_text(encoding="utf-8")
    assert "<title>" in text and "advae" in text


def test_a_page_per_notebook(built):
    repo, _ = built
    missing = [page_name(nb) for nb in notebooks() if not (repo / "_docs" / page_name(nb)).is_file()]
    assert not missing, f"notebooks without a page: {missing}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_page_shows_docs(built, module):
    repo, _ = built
    page = repo / "_docs" / page_name(MODULES[module])
    assert page.is_file(), f"no page for module {module} ({MODULES[module].relative_to(NBS)})"
    docs = public_docs(module)
    missing = missing_docs(page.read_text(encoding="utf-8"), docs)
    assert not missing, f"{page_name(MODULES[module])} lacks the signature or docstring of: {missing}"


def test_checker_can_fail(built):
    "Without its show_doc output, a page fails the check above."
    repo, _ = built
    docs = public_docs("core.errors")
    assert docs
    page = (repo / "_docs" / page_name(MODULES["core.errors"])).read_text(encoding="utf-8")
    assert not missing_docs(page, docs)
    stripped = page.replace("cell-output-markdown", "cell-output-gone")
    assert sorted(m.split(":")[0] for m in missing_docs(stripped, docs)) == sorted(docs)


def test_sidebar_lists_every_notebook(built):
    repo, _ = built
    entries = sidebar((repo / "_docs" / "index.html").read_text(encoding="utf-8"))
    listed = {v for _, kind, v in entries if kind == "page"}
    missing = [nb.relative_to(NBS).as_posix() for nb in notebooks() if page_name(nb) not in listed]
    assert not missing, f"not in the sidebar: {missing}"


# The sidebar in reading order: the top level, then what each section holds (a package's section: its index page,
# then its notebooks in their numbered order)
TOP = ["index.html", "architecture.html", "core", "models", "training", "evaluation", "baselines.html", "Engine",
       "gene", "mri", "eeg", "Reports"]
SECTIONS = {"Engine": ["modality.html", "pipeline.html", "cli.html", "main.html"],
            "Reports": ["report.html", "run_gene.html", "run_mri.html", "run_eeg.html"]}


def test_sidebar_order(built):
    repo, _ = built
    entries = sidebar((repo / "_docs" / "index.html").read_text(encoding="utf-8"))
    top = [v for sec, _, v in entries if sec is None]
    assert top == TOP, top
    for sec in TOP:
        if sec.endswith(".html"):
            continue
        pages = [v for s, kind, v in entries if s == sec and kind == "page"]
        if sec in PACKAGES:
            numbered = sorted(nb for nb in (NBS / sec).glob("*.ipynb") if nb.name != "index.ipynb")
            want = [f"{sec}/index.html"] + [page_name(nb) for nb in numbered]
        else:
            want = [p for p in SECTIONS[sec] if (NBS / p.replace(".html", ".ipynb")).exists()]
        assert pages == want, f"section {sec}: {pages}"
    # the same sidebar, with links relative to the page, on a page in a package folder
    sub = sidebar((repo / "_docs" / "gene" / "io.html").read_text(encoding="utf-8"))
    assert [v for sec, _, v in sub if sec is None] == [f"../{v}" if v.endswith(".html") else v for v in TOP]


def test_sidebar_checker_can_fail():
    "The sidebar reader sees sections, their pages and a wrong order."
    page = ('<nav id="quarto-sidebar"><ul><li class="sidebar-item"><a class="sidebar-link" href="b.html">b</a></li>'
            '<li class="sidebar-item sidebar-item-section"><div><a class="sidebar-link"><span class="menu-text">S</span></a>'
            '</div><ul class="sidebar-section"><li><a class="sidebar-link" href="s/a.html">a</a></li></ul></li>'
            '<li><a class="sidebar-link" href="a.html">a</a></li></ul></nav><a class="sidebar-link" href="x.html">x</a>')
    want = [(None, "page", "b.html"), (None, "section", "S"), ("S", "page", "s/a.html"), (None, "page", "a.html")]
    assert sidebar(page) == want


def test_no_broken_links(built):
    """Every link between pages (the sidebar, names in backticks linked through advae/_modidx.py) lands on a page
    and entry of the site."""
    repo, _ = built
    site = repo / "_docs"
    assert not broken_links(site), broken_links(site)[:20]
    # names in backticks link to their entries across folders, and none still points at the hosted site
    io = (site / "gene" / "io.html").read_text(encoding="utf-8")
    assert re.search(r'href="\.\./core/[a-z]+\.html#\w+"', io) or re.search(r'href="(io|pipeline)\.html#\w+"', io)
    hosted = re.compile(r'href="https://advae\.github\.io/advae/[^"]*\.html')
    assert not [p.name for p in site.rglob("*.html") if hosted.search(p.read_text(encoding="utf-8"))]


def test_link_checker_can_fail(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.html").write_text('<p id="x">x</p><a href="sub/b.html#y">b</a> <a href="sub/b.html#z">z</a>')
    (tmp_path / "sub" / "b.html").write_text('<p id="y"></p><a href="../a.html#x">a</a><a href="../gone.html">g</a>'
                                             '<img src="pic.png"><a href="https://example.org/x.html">e</a>')
    assert broken_links(tmp_path) == ["a.html: sub/b.html#z", "sub/b.html: ../gone.html", "sub/b.html: pic.png"]


def missing_repo_files(site: Path, repo: Path, git_url: str) -> list[str]:
    """Links of the pages of `site` to a file or folder on the hosted repository (`git_url`/blob|tree/<branch>/<path>,
    how tools/docs.py links a file that the site does not hold, e.g. benchmarks/results/summary.md) whose path is not
    in `repo`, as 'page: href'."""
    pat = re.compile(r'\shref="(' + re.escape(git_url.rstrip("/")) + r'/(?:blob|tree)/[^/"]+/([^"#?]*)[^"]*)"')
    bad = []
    for page in sorted(site.rglob("*.html")):
        for m in pat.finditer(page.read_text(encoding="utf-8")):
            if not (repo / unquote(html.unescape(m.group(2)))).exists():
                bad.append(f"{page.relative_to(site)}: {html.unescape(m.group(1))}")
    return bad


# Words about the making of advae rather than advae: an issue (of the tracker), a session, a ticket or pull request.
# A limitation of advae or of the data is a "problem" or a "limitation" in the docs. The one link to the issue tracker
# allowed is the "Report an issue" action Quarto adds beside each page's contents (repo-actions in nbs/_quarto.yml).
PROCESS_WORDS = re.compile(r"\bissues?\b|\bissue['\u2019]s\b|\b(this|development|coding) session\b|\bticket\b"
                           r"|\bpull request\b|\bfiled\b", re.I)


def page_text(page_html: str) -> str:
    "What a reader sees of a page: its text without scripts, styles and the page actions (\"Report an issue\")."
    t = re.sub(r"<(script|style)\b.*?</\1>", " ", page_html, flags=re.S | re.I)
    t = re.sub(r'<div class="action-links">.*?</div>', " ", t, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", t)).split())


def process_talk(site: Path) -> list[str]:
    "Each place where a page of `site` speaks of issues or of the development process, as 'page: ...context...'."
    bad = []
    for page in sorted(site.rglob("*.html")):
        if "site_libs" in page.relative_to(site).parts:
            continue
        text = page_text(page.read_text(encoding="utf-8"))
        for m in PROCESS_WORDS.finditer(text):
            bad.append(f"{page.relative_to(site)}: ...{text[max(0, m.start() - 60):m.end() + 30]}...")
    return bad


def test_links_to_the_repository(built):
    """A file of the repository that the site does not hold (the benchmark summary the home page links) is linked on
    the hosted repository, at a path that exists; the README keeps the relative link, which works on GitHub."""
    from nbdev.config import get_config

    repo, _ = built
    git_url = str(get_config(ROOT).git_url).rstrip("/")
    site = repo / "_docs"
    index = (site / "index.html").read_text(encoding="utf-8")
    assert f'href="{git_url}/blob/main/benchmarks/results/summary.md"' in index
    assert not missing_repo_files(site, repo, git_url), missing_repo_files(site, repo, git_url)
    assert "](benchmarks/results/summary.md)" in (repo / "README.md").read_text(encoding="utf-8")


def test_repo_link_checker_can_fail(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "repo" / "b").mkdir(parents=True)
    (tmp_path / "repo" / "b" / "s.md").write_text("x")
    (tmp_path / "site" / "a.html").write_text('<a href="https://github.com/o/r/blob/main/b/s.md#t">s</a>'
                                              '<a href="https://github.com/o/r/tree/main/b">b</a>'
                                              '<a href="https://github.com/o/r/blob/main/b/gone.md">g</a>')
    assert missing_repo_files(tmp_path / "site", tmp_path / "repo", "https://github.com/o/r/") == [
        "a.html: https://github.com/o/r/blob/main/b/gone.md"]


def test_no_process_talk(built):
    "The pages speak of advae, its data and its results: never of issues, sessions or tickets of its development."
    repo, _ = built
    assert not process_talk(repo / "_docs"), process_talk(repo / "_docs")


def test_process_talk_checker_can_fail(tmp_path):
    actions = ('<div class="action-links"><a href="https://github.com/o/r/issues/new" class="toc-action">'
               '<i class="bi bi-chat-right"></i> Report an issue</a></div>')
    (tmp_path / "a.html").write_text(f"<p>AUC 0.68 in the issue&#8217;s measurement</p>{actions}"
                                     "<script>var issue = 1;</script><p>one session of OASIS-1; tissue samples</p>")
    (tmp_path / "b.html").write_text(f"<p>as this session found</p><p>see <code>Issues</code></p>{actions}")
    found = process_talk(tmp_path)
    assert [f.split(":")[0] for f in found] == ["a.html", "b.html", "b.html"], found
    assert "issue\u2019s measurement" in found[0] and "this session" in found[1]


def test_architecture_page(built):
    """The architecture page shows the diagram drawn from the code during the build, the table of parts and the
    registry's modalities."""
    repo, _ = built
    page = (repo / "_docs" / "architecture.html").read_text(encoding="utf-8")
    pngs = re.findall(r'<img\b[^>]*\ssrc="data:image/png;base64,([^"]+)"', page)
    assert len(pngs) == 1, "the architecture page should show one figure"
    width, height = png_size(base64.b64decode(pngs[0]))
    assert width >= 600 and height >= 400, (width, height)
    text = norm(re.sub(r"<[^>]+>", " ", page))
    for part in ("advae.core", "advae.models", "advae.training", "advae.evaluation", "advae.gene", "advae.mri", "advae.cli"):
        assert part in text, part
    assert "registry" in text and re.search(r"\bdraw_architecture\s*\(", text)


def test_code_wraps():
    "Long lines of code, signatures and output wrap instead of running past the right edge of the page."
    css = re.sub(r"/\*.*?\*/", "", (NBS / "styles.css").read_text(encoding="utf-8"), flags=re.S)
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", css)
    wraps = [sel for sel, body in rules if re.search(r"white-space:\s*pre-wrap", body)]
    assert any(re.search(r"\bpre\b[^,]*\bcode\b", sel) for sel in wraps), wraps


def test_built_code_wraps(built):
    """Every page of the built site loads the site's styles.css, with its wrapping rule, after the theme; Quarto's
    own option (`code-overflow: wrap` in nbs/_quarto.yml) marks the code blocks too."""
    import yaml

    q = yaml.safe_load((NBS / "_quarto.yml").read_text(encoding="utf-8"))
    assert q["format"]["html"].get("code-overflow") == "wrap"
    repo, _ = built
    site = repo / "_docs"
    assert "pre-wrap" in (site / "styles.css").read_text(encoding="utf-8")
    for page in sorted(site.rglob("*.html")):
        sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.read_text(encoding="utf-8"))
        mine = [s for s in sheets if (page.parent / s).resolve() == (site / "styles.css").resolve()]
        assert mine and sheets.index(mine[0]) == len(sheets) - 1, f"{page.relative_to(site)}: {sheets}"
    index = (site / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<pre class="[^"]*\bcode-overflow-wrap\b', index)


def docs_module():
    "tools/docs.py as a module, for its helpers."
    import importlib.util

    spec = importlib.util.spec_from_file_location("advae_docs_tool", ROOT / "tools" / "docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_ordered_sidebar():
    "Pages go where SIDEBAR puts them, a folder's index page first; pages it does not name come last, and are named."
    docs = docs_module()
    pages = ["index.ipynb", "cli.ipynb", "new.ipynb", "core/01_io.ipynb", "core/00_errors.ipynb", "core/index.ipynb",
             "extra/00_a.ipynb", "extra/index.ipynb", "run_mri.ipynb", "architecture.ipynb"]
    contents, unplaced = docs.ordered_sidebar(pages)
    assert contents == [
        {"text": "Home", "href": "index.ipynb"}, "architecture.ipynb",
        {"section": "core", "contents": [{"text": "overview", "href": "core/index.ipynb"}, "core/01_io.ipynb",
                                         "core/00_errors.ipynb"]},
        {"section": "Engine", "contents": ["cli.ipynb"]}, {"section": "Reports", "contents": ["run_mri.ipynb"]},
        "new.ipynb",
        {"section": "extra", "contents": [{"text": "overview", "href": "extra/index.ipynb"}, "extra/00_a.ipynb"]},
    ]
    assert unplaced == ["new.ipynb", "extra/00_a.ipynb", "extra/index.ipynb"]
    assert docs.page_key("gene/03_pipeline.ipynb") == "gene/pipeline" and docs.page_key("cli.ipynb") == "cli"


def test_unlink_missing_anchors(tmp_path):
    "A link to an entry its page lacks (a private name nbdev linked) loses its link but keeps its text; others stay."
    docs = docs_module()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "p.html").write_text('<h3 id="f">f</h3>')
    page = ('<a href="b/p.html#f"><code>f</code></a> <a href="b/p.html#_g"><code>_g</code></a> '
            '<a href="gone.html#x">x</a> <a href="https://example.org/p.html#y">y</a>')
    (tmp_path / "a.html").write_text(page)
    assert docs.unlink_missing_anchors(tmp_path) == 1
    unlinked = page.replace('<a href="b/p.html#_g"><code>_g</code></a>', "<code>_g</code>")
    assert (tmp_path / "a.html").read_text() == unlinked


def test_repo_link(tmp_path):
    """A link to a file of the repository that the site does not hold goes to GitHub; the home page's links are read
    from the root."""
    import types

    docs = docs_module()
    (tmp_path / "nbs" / "gene").mkdir(parents=True)
    (tmp_path / "_proc" / "gene").mkdir(parents=True)
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "summary.md").write_text("x")
    (tmp_path / "_proc" / "gene" / "io.ipynb").write_text("{}")
    vals = {"git_url": "https://github.com/o/r/", "branch": "main"}
    cfg = types.SimpleNamespace(nbs_path=tmp_path / "nbs", config_path=tmp_path, readme_nb="index.ipynb",
                                get=lambda k, d=None: vals.get(k, d))
    link = docs.repo_link
    assert link(cfg, "benchmarks/summary.md#top", "index.ipynb", tmp_path / "_proc") == (
        "https://github.com/o/r/blob/main/benchmarks/summary.md#top")
    up = link(cfg, "../../benchmarks/summary.md", "gene/00_io.ipynb", tmp_path / "_proc")
    assert up == "https://github.com/o/r/blob/main/benchmarks/summary.md"
    assert link(cfg, "benchmarks/summary.md", "gene/00_io.ipynb", tmp_path / "_proc") is None  # not from there
    assert link(cfg, "io.ipynb", "gene/00_io.ipynb", tmp_path / "_proc") is None  # a page of the site
    assert link(cfg, "https://example.org/x.md", "index.ipynb", tmp_path / "_proc") is None
    assert link(cfg, "missing.md", "index.ipynb", tmp_path / "_proc") is None


def test_diagram_follows_the_code(built):
    "A new module appears on the architecture page at the next build: the notebook runs again when advae/ changes."
    repo, _ = built
    new = repo / "advae" / "core" / "zz_probe.py"
    new.write_text('"A module added by the test."\n', encoding="utf-8")
    try:
        r = run_docs(repo)
        assert r.returncode == 0, r.stderr[-2000:]
        assert "processing 1 notebook(s)" in r.stderr, r.stderr  # the architecture page, not every notebook
        assert "zz_probe" in (repo / "_docs" / "architecture.html").read_text(encoding="utf-8")
    finally:
        new.unlink()
    assert run_docs(repo).returncode == 0
    assert "zz_probe" not in (repo / "_docs" / "architecture.html").read_text(encoding="utf-8")


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


def title_cell_extra(nb: Path) -> str:
    "What a notebook's title cell holds beyond its `# title` and `> description` lines (nbdev drops it from the page)."
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    if not cells or cells[0]["cell_type"] != "markdown": return ""
    lines = "".join(cells[0]["source"]).strip().splitlines()
    return "\n".join(l for l in lines[1:] if l.strip() and not l.startswith(">")).strip()


def test_title_cells_hold_only_title_and_description():
    "Prose in the title cell never reaches the site (nbdev replaces that cell with front matter): it needs a cell of its own."
    crowded = [nb.relative_to(NBS).as_posix() for nb in notebooks() if title_cell_extra(nb)]
    assert not crowded, f"title cells with more than a title and a description: {crowded}"


def test_opening_prose_reaches_the_page(built):
    "The prose right after the title is on the page (it was lost while it shared the title cell)."
    repo, _ = built
    page = (repo / "_docs" / "models" / "spatial.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    assert "Experimental: selectable with" in text and "is why the model is there to choose" in text
