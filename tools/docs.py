#!/usr/bin/env python
"""Build the documentation site and README.md from the notebooks, offline.

    python tools/docs.py                # _proc/ -> _docs/ (Quarto if on PATH, else smalldocs) and README.md
    python tools/docs.py --readme-only  # README.md from nbs/index.ipynb only
    python tools/docs.py --force        # reprocess every notebook, ignoring the _proc/ cache

The steps are nbdev's own (`nbdev-docs`), called directly so that nothing tries to download Quarto:
refresh nbs/nbdev.yml from pyproject.toml, process each notebook into _proc/ (nbdev's FilterDefaults:
front matter, a `show_doc` after every exported definition, directives turned into Quarto cell options,
links), write the sidebar in reading order (SIDEBAR), then render _proc/ with Quarto or, without it,
with smalldocs. Notebooks may sit in folders, one per package: nbs/gene/03_pipeline.ipynb is the page
gene/pipeline.html. README.md is written from nbs/index.ipynb as GitHub-flavoured Markdown, deterministically.
The run report notebooks (run_*.ipynb) are pages of the site too, shown without outputs. Cells marked
`#| exec_doc` (nbs/architecture.ipynb draws its diagram from advae/ that way) run during the build, so
such a notebook is processed again whenever the package changes.
On failure it prints one line per problem and exits with status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIXED_IMPORTS = "Found cells containing imports and other code"


class DocsError(Exception):
    "A failure the user can act on; its message is printed as is."


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ config


def config():
    "nbdev's config for this repository, with the working directory at its root (nbdev calls `get_config()` bare)."
    os.chdir(ROOT)
    from nbdev.config import get_config

    try:
        cfg = get_config(ROOT)
    except Exception as e:  # no [tool.nbdev], or a settings.ini beside it
        raise DocsError(f"cannot read the nbdev config in {ROOT / 'pyproject.toml'}: {e}") from e
    if not cfg.nbs_path.is_dir():
        raise DocsError(f"{cfg.nbs_path} not found")
    return cfg


def refresh_config(cfg) -> None:
    "Write nbs/nbdev.yml from pyproject.toml (and nbs/_quarto.yml if missing), exactly as `nbdev-docs` does."
    from nbdev.quarto import refresh_quarto_yml

    with contextlib.redirect_stdout(io.StringIO()):
        refresh_quarto_yml()


def check_modidx(cfg) -> None:
    "Warn when advae/_modidx.py (the index behind the doc links) is stale; `nbdev-export` rewrites it. Never writes it."
    from nbdev.doclinks import _build_modidx

    lib = cfg.lib_path
    idx = lib / "_modidx.py"
    if not idx.exists():
        log(f"docs: warning: {idx.relative_to(ROOT)} is missing, so names in backticks are not linked; run nbdev-export")
        return
    with tempfile.TemporaryDirectory(prefix="advae-modidx-") as tmp:
        tmp = Path(tmp).resolve()
        dest = tmp / lib.relative_to(cfg.config_path)
        shutil.copytree(lib, dest, ignore=shutil.ignore_patterns("__pycache__"))
        (dest / "_modidx.py").unlink()
        in_test = os.environ.pop("IN_TEST", None)  # _build_modidx does nothing under IN_TEST
        try:
            _build_modidx(dest=dest, nbs_path=tmp / cfg.nbs_path.relative_to(cfg.config_path))  # notebook paths are relative
        finally:
            if in_test is not None:
                os.environ["IN_TEST"] = in_test
        fresh = (dest / "_modidx.py").read_text(encoding="utf-8")
    if fresh != idx.read_text(encoding="utf-8"):
        log(f"docs: warning: {idx.relative_to(ROOT)} is out of date with {lib.name}/*.py; run nbdev-export (links to new names will be missing)")


# The sidebar in reading order. An entry is a page, named by its path under nbs/ without the number prefix of
# its file name and without .ipynb ("gene/pipeline" is nbs/gene/03_pipeline.ipynb); a folder ("core/"), which
# becomes a section whose first entry is its index page; or (title, pages), a section of pages. Notebooks that
# no entry names (a new one) come last, in nbdev's order, and the build says so.
SIDEBAR = (
    "index", "architecture",
    "core/", "models/", "training/", "evaluation/", "baselines",
    ("Engine", ("modality", "pipeline", "cli", "main")),
    "gene/", "mri/", "eeg/",
    ("Reports", ("report", "run_gene", "run_mri", "run_eeg")),
)
TITLES = {"index": "Home"}  # sidebar text for pages whose title reads badly there; a folder's index is "overview"


def page_key(path: str) -> str:
    "The name SIDEBAR gives a notebook: its path under nbs/ without .ipynb and the number prefix (gene/03_pipeline.ipynb -> gene/pipeline)."
    parent, _, name = path.rpartition("/")
    stem = re.sub(r"^\d+[a-zA-Z0-9]*_", "", name.rsplit(".", 1)[0])
    return f"{parent}/{stem}" if parent else stem


def _pages(contents: list) -> list[str]:
    "Every page of a sidebar's contents (nbdev's: paths, and sections with an index page as `href`), in order."
    out = []
    for c in contents:
        if isinstance(c, str):
            out.append(c)
        elif isinstance(c, dict):
            out += [c["href"]] if c.get("href") else []
            out += _pages(c.get("contents") or [])
    return out


def _entry(path: str) -> str | dict:
    key = page_key(path)
    if key.endswith("/index") and "/" in key:
        return {"text": "overview", "href": path}
    return {"text": TITLES[key], "href": path} if key in TITLES else path


def ordered_sidebar(pages: list[str], order=SIDEBAR) -> tuple[list, list[str]]:
    "Sidebar contents for `pages` (paths under nbs/) in the reading order `order`, and the pages `order` does not name."
    left = list(pages)

    def take(pred) -> list[str]:
        got = [p for p in left if pred(p)]
        for p in got:
            left.remove(p)
        return got

    def folder(name: str) -> list:
        got = take(lambda p: p.startswith(name + "/"))
        got = sorted(got, key=lambda p: page_key(p) != f"{name}/index")  # the index page first, the rest in order
        return [{"section": name, "contents": [_entry(p) for p in got]}] if got else []

    out = []
    for item in order:
        if isinstance(item, str) and item.endswith("/"):
            out += folder(item.rstrip("/"))
        elif isinstance(item, str):
            out += [_entry(p) for p in take(lambda p, k=item: page_key(p) == k)]
        else:
            title, names = item
            got = [p for n in names for p in take(lambda p, k=n: page_key(p) == k)]
            out += [{"section": title, "contents": [_entry(p) for p in got]}] if got else []
    unplaced = list(left)
    for p in unplaced:
        if p in left:
            out += folder(p.split("/")[0]) if "/" in p else [_entry(take(lambda q, p=p: q == p)[0])]
    return out, unplaced


def sidebar_yml(cfg) -> str | None:
    "The sidebar: nbdev's pages (`nbdev_sidebar`) in the reading order of SIDEBAR, as YAML; None when pyproject sets custom_sidebar."
    import yaml
    from nbdev.quarto import nbdev_sidebar

    if cfg.custom_sidebar:
        return None
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        nbdev_sidebar.__wrapped__(path=cfg.nbs_path, printit=True)
    pages = _pages(yaml.safe_load(buf.getvalue())["website"]["sidebar"]["contents"])
    contents, unplaced = ordered_sidebar(pages)
    if unplaced:
        log(f"docs: note: SIDEBAR in tools/docs.py does not place {', '.join(unplaced)}; listed last")
    return yaml.safe_dump({"website": {"sidebar": {"contents": contents}}}, sort_keys=False)


# ------------------------------------------------------------------ processing (nbdev.serve.proc_nbs)


def _init_worker(threads: int) -> None:
    for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(k, str(threads))


def _proc_worker(job):
    "Process one notebook as `proc_nbs` does; return (source, error or None, notes). Runs in a worker process."
    import nbdev.serve_drv

    src = job[0]
    os.chdir(ROOT)
    t0 = time.time()
    main = sys.modules["__main__"]  # IPython's shell replaces it, and the pool finds this function there
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        err = None
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                nbdev.serve_drv.main(job)
        except Exception as e:  # nbdev's message names the cell and its source
            err = f"{type(e).__name__}: {e}"
        finally:
            os.environ.pop("IN_TEST", None)
            sys.modules["__main__"] = main
    mixed = sum(MIXED_IMPORTS in str(w.message) for w in ws)
    return str(src), err, mixed, time.time() - t0


def _describe_failure(src: Path, err: str) -> str:
    "One line: which notebook, which cell (by its first line), and what went wrong."
    lines = [l for l in err.splitlines() if l.strip()]
    last = lines[-1] if lines else err
    m = re.search(r"in cell \d+ :", err)
    first, hint = "", ""
    if m and len(lines) > 1:
        body = err[m.end():].strip().splitlines()[:-1]
        first = next((l.strip() for l in body if l.strip() and not l.startswith("#|")), "")
        if not any(l.startswith("#| export") for l in body) and any(re.match(r"(import|from)\s", l) for l in body):
            hint = " (nbdev runs every cell that contains an import when it builds docs: give imports a cell of their own)"
    where = f"the cell starting `{first[:60]}`" if first else "a cell"
    return f"{src.relative_to(ROOT)}: {where} failed while building docs: {last}{hint}"


def runs_code(nb: Path) -> bool:
    "Whether the notebook has cells that nbdev runs for the docs on their own account (`#| exec_doc`)."
    import json

    try:
        cells = json.loads(nb.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return False
    src = ("".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code")
    return any(re.search(r"^\s*#\s*\|\s*exec_doc\b", s, re.M) for s in src)


def drop_stale_runs(cfg, cache: Path, notebooks: list[Path]) -> None:
    "Remove from the cache the processed notebooks whose `exec_doc` cells read the package, when the package is newer."
    paths = [cfg.lib_path, *cfg.lib_path.rglob("*")]  # a folder's time changes when a module is added or removed
    lib = [p.stat().st_mtime for p in paths if "__pycache__" not in p.parts and (p.suffix == ".py" or p.is_dir())]
    newest = max(lib, default=0.0)
    for nb in notebooks:
        done = cache / nb.relative_to(cfg.nbs_path)
        if nb.suffix == ".ipynb" and done.exists() and done.stat().st_mtime < newest and runs_code(nb):
            done.unlink()


def proc_nbs(cfg, n_workers: int, force: bool) -> Path:
    "nbdev.serve.proc_nbs, with per-notebook errors: copy nbs/ into _proc/, running nbdev's processors on each changed notebook."
    from nbdev.doclinks import nbglob
    from nbdev.serve import _proc_file, _rm_stale
    import nbdev.serve

    path, cache = cfg.nbs_path, cfg.config_path / "_proc"
    files = nbglob(path, func=Path, file_glob="", file_re="")
    for extra in ("_quarto.yml", "_brand.yml"):
        if (path / extra).exists():
            files.append(path / extra)
    files.extend(nbglob(path, func=Path, file_glob="_metadata.y*ml", skip_file_re="^[.]"))
    if (path / "_extensions").exists():
        files.extend(nbglob(path / "_extensions", func=Path, file_glob="", file_re="", skip_file_re="^[.]"))
    chk_mtime = max(cfg.config_file.stat().st_mtime, Path(nbdev.serve.__file__).stat().st_mtime)
    if cache.exists() and (force or cache.stat().st_mtime < chk_mtime):
        shutil.rmtree(cache)
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "_quarto.yml").unlink(missing_ok=True)
    _rm_stale(cache, path)
    drop_stale_runs(cfg, cache, files)
    jobs = [j for j in (_proc_file(Path(f), cache, path) for f in files) if j]
    jobs.sort(key=lambda j: -j[0].stat().st_size)  # biggest first: the slowest notebooks start early
    if jobs:
        log(f"docs: processing {len(jobs)} notebook(s) into {cache.relative_to(ROOT)}/ with {min(n_workers, len(jobs))} worker(s)")
    if n_workers <= 1 or len(jobs) <= 1:
        results = [_proc_worker(j) for j in jobs]
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        n = min(n_workers, len(jobs))
        threads = max(1, (os.cpu_count() or 1) // n)  # one torch thread per core, not per core per worker
        with ProcessPoolExecutor(n, mp_context=mp.get_context("spawn"), initializer=_init_worker, initargs=(threads,)) as ex:
            results = list(ex.map(_proc_worker, jobs))
    failures = [_describe_failure(Path(s), e) for s, e, *_ in results if e]

    def name(s: str) -> str:  # nbs/gene/01_preprocess.ipynb -> gene/01_preprocess
        return Path(s).relative_to(path).with_suffix("").as_posix()

    if os.environ.get("DOCS_DEBUG"):
        for s, _, _, dt in results:
            log(f"docs: debug: {name(s)} processed in {dt:.1f}s")
    mixed = sorted(f"{name(s)} ({n})" for s, _, n, _ in results if n)
    if mixed:
        log(f"docs: note: nbdev runs every cell that mixes imports with other code to build the docs; such cells: {', '.join(mixed)}")
    if failures:
        raise DocsError("\n".join(failures))
    cache.touch()
    return cache


# ------------------------------------------------------------------ rendering


def render_quarto(cfg, cache: Path) -> Path:
    "nbdev-docs' rendering step, for machines that have Quarto."
    from fastcore.shutil import move
    from nbdev.quarto import _fix_quarto_nav
    from nbdev.quarto_render import render_quarto as _render

    out = cache / cfg.doc_path.name
    try:
        _render(cache, out, n_workers=max(1, os.cpu_count() or 1))
    except RuntimeError as e:
        raise DocsError(f"quarto render failed: {str(e).strip().splitlines()[-1] if str(e).strip() else e}") from e
    shutil.rmtree(cfg.doc_path, ignore_errors=True)
    move(out, cfg.config_path)
    _fix_quarto_nav(cfg.doc_path)
    unlink_missing_anchors(cfg.doc_path)
    return cfg.doc_path


# Warnings smalldocs gives for nbdev's standard config that do not change the HTML site
EXPECTED = (
    "unknown key format-links",  # Quarto's "other formats" links
    "format commonmark is not built",  # nbdev's Markdown copy of each page
    "format.html.keep-md is ignored",
    "output-file is not read by smalldocs",  # read here, see NbdevSite.read
)


def render_smalldocs(cfg, cache: Path) -> Path:
    "Render _proc/ with smalldocs, naming pages as Quarto does (`output-file`, e.g. gene/03_pipeline.ipynb -> gene/pipeline.html)."
    from smalldocs.config import BuildError, ConfigError, load
    from smalldocs.site import Site

    class NbdevSite(Site):
        def read(self, src):
            page = super().read(src)
            name = page.front.get("output-file")
            if isinstance(name, str) and name.strip():
                page.out = src.parent / name.strip()
            return page

        def resolve(self, href, page, record=True):
            return repo_link(cfg, href, page.src if page else None, self.root) or super().resolve(href, page, record)

    try:
        site = NbdevSite(load(cache), quiet=True)
        staging = cache / cfg.doc_path.name
        site.out = staging.resolve()
        n = site.build()
    except (ConfigError, BuildError) as e:
        raise DocsError(f"smalldocs: {e}") from e
    for w in site.warnings:
        if not any(x in w for x in EXPECTED):
            log(f"docs: smalldocs: {w}")
    localise_links(cfg, staging)
    unlink_missing_anchors(staging)
    shutil.rmtree(cfg.doc_path, ignore_errors=True)
    shutil.move(str(staging), str(cfg.doc_path))
    log(f"docs: rendered {n} page(s) with smalldocs")
    return cfg.doc_path


def repo_link(cfg, href: str, src, root: Path) -> str | None:
    """The address on GitHub of a file of the repository that a page links to but the site does not hold, else None.

    `src` is the page's notebook under nbs/ (relative); the link is read relative to that notebook and, for the
    home page (README.md is written from it), relative to the repository root, as GitHub reads it."""
    git_url = str(cfg.get("git_url") or "").rstrip("/")
    m = re.match(r"([^#?]*)(.*)", href or "", re.S)
    path = m.group(1)
    if not git_url or not path or path.startswith("/") or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//", href):
        return None
    from urllib.parse import unquote

    here = (root / Path(str(src)).parent / unquote(path)).resolve() if src is not None else None
    if here is not None and here.is_relative_to(root.resolve()) and (here.exists() or here.with_suffix(".ipynb").exists()):
        return None  # a page or a file of the site: smalldocs's own business
    bases = [cfg.nbs_path / Path(str(src)).parent] if src is not None else []
    if src is not None and Path(str(src)).as_posix() == Path(cfg.readme_nb).as_posix():
        bases.append(cfg.config_path)
    for base in bases:
        target = (base / unquote(path)).resolve()
        try:
            rel = target.relative_to(cfg.config_path.resolve()).as_posix()
        except ValueError:
            continue
        if target.exists() and not rel.startswith(("nbs/", "_proc/", "_docs/")):
            kind = "tree" if target.is_dir() else "blob"
            return f"{git_url}/{kind}/{cfg.get('branch') or 'main'}/{rel}{m.group(2)}"
    return None


def localise_links(cfg, site: Path) -> None:
    "Point nbdev's absolute links to the hosted docs (doc_host + doc_baseurl) at the pages of this build, so the site works offline."
    base = f"{cfg.doc_host.rstrip('/')}{cfg.doc_baseurl.rstrip('/')}/" if cfg.get("doc_host") else ""
    if not base:
        return
    pat = re.compile(r'href="' + re.escape(base) + r'([^"#?]*)')
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if base not in text:
            continue
        up = "../" * (len(page.relative_to(site).parts) - 1)

        def sub(m, up=up):
            target = m.group(1)
            return f'href="{up}{target or "index.html"}' if (site / (target or "index.html")).is_file() else m.group(0)

        page.write_text(pat.sub(sub, text), encoding="utf-8")


def unlink_missing_anchors(site: Path) -> int:
    """Remove the links to an entry that is not on its page, keeping their text; return how many.

    nbdev links every name in backticks that advae/_modidx.py knows, private ones too (`_split_views`), but only
    public names get a doc entry to land on. A link to a page of the site with an anchor that page lacks goes."""
    import html

    ids: dict[Path, set[str]] = {}

    def has_id(page: Path, anchor: str) -> bool:
        if page not in ids:
            ids[page] = set(re.findall(r'\sid="([^"]*)"', page.read_text(encoding="utf-8")))
        return anchor in ids[page]

    pat = re.compile(r'<a href="([^":#?]+\.html)#([^"]+)"[^>]*>(.*?)</a>', re.S)
    n = 0
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")

        def sub(m, page=page):
            nonlocal n
            target = (page.parent / html.unescape(m.group(1))).resolve()
            if not target.is_file() or has_id(target, html.unescape(m.group(2))):
                return m.group(0)
            n += 1
            return m.group(3)

        new = pat.sub(sub, text)
        if new != text:
            page.write_text(new, encoding="utf-8")
    return n


# ------------------------------------------------------------------ README


_ANSI = re.compile(r"\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])")
_WARNING = "<!-- WARNING: THIS FILE WAS AUTOGENERATED! DO NOT EDIT! -->"
_HIDE = {"hide", "export", "exporti", "default_exp"}  # cells nbdev leaves out of the docs


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _block(text: str, lang: str = "") -> str:
    f = _fence(text)
    return f"{f}{lang}\n{text.rstrip()}\n{f}"


def _text(v) -> str:
    return "".join(v) if isinstance(v, list) else str(v)


def _output_md(out: dict) -> str | None:
    "One saved output as GitHub Markdown: streams and plain text fenced, Markdown and HTML as they are; pictures and errors left out."
    kind = out.get("output_type")
    if kind == "stream":
        text = _ANSI.sub("", _text(out.get("text", "")))
        return _block(text) if text.strip() else None
    if kind not in ("execute_result", "display_data"):
        return None
    data = out.get("data") or {}
    if "text/markdown" in data:
        return _text(data["text/markdown"]).strip() or None
    if "text/html" in data:
        h = re.sub(r"<style[^>]*>.*?</style>", "", _text(data["text/html"]), flags=re.S | re.I).strip()
        return h or None
    if any(k.startswith("image/") for k in data):
        return None
    if "text/plain" in data:
        text = _ANSI.sub("", _text(data["text/plain"]))
        return _block(text) if text.strip() else None
    return None


def _doc_links(md: str, cfg) -> str:
    "Relative links to notebooks or pages become links to the hosted docs, as nbdev's readme_filter does."
    base = cfg.get("doc_url") or ""
    if not base:
        return md
    from nbdev.readme_filter import doc_link

    nbdir = Path(cfg.readme_nb).parent.as_posix()

    def sub(m):
        return f"]({doc_link(m.group(1), base, nbdir)}{m.group(2) or ''})"

    return re.sub(r'\]\(([^)\s]+)(\s+"[^"]*")?\)', sub, md)


def readme_text(cfg, nb_path: Path) -> str:
    "nbs/index.ipynb as GitHub-flavoured Markdown: the title and description from its front matter, then its cells."
    from fastcore.nbio import cell_frontmatter, md_frontmatter, read_nb

    nb = read_nb(nb_path)
    magics = str(cfg.get("strip_magics", "%load_ext %autoreload %reload_ext %matplotlib %config")).split()
    magic_re = re.compile(rf"^\s*({'|'.join(re.escape(m) for m in magics)})\b.*\n?", re.M) if magics else None
    fm: dict = {}
    parts: list[str] = []
    for cell in nb.cells:
        src = _text(cell.get("source", ""))
        kind = cell.cell_type
        if kind == "raw":
            d = cell_frontmatter(src)
            if d:
                fm.update(d)
            continue  # raw cells are not Markdown
        if kind == "markdown":
            if "title" not in fm:
                d = md_frontmatter(src)
                if d:  # as nbdev does, the whole title cell becomes front matter
                    fm.update(d)
                    continue
            if src.strip():
                parts.append(_doc_links(src.strip("\n"), cfg))
            continue
        if kind != "code":
            continue
        d = cell.directives
        if d.keys() & _HIDE or str(d.get("include", "")).lower() == "false":
            continue
        lines = src.splitlines()
        while lines and (re.match(r"^\s*#\s*\|", lines[0]) or not lines[0].strip()):
            lines.pop(0)  # directives
        code = "\n".join(l for l in lines if not re.search(r"#\|\s*hide_line\s*$", l))
        if magic_re:
            code = magic_re.sub("", code)
        code = code.strip("\n")
        echo = str(d.get("echo", "")).lower() != "false" and not re.match(r"^show_doc", code, re.M)
        if code.strip() and echo:
            lang = (cell.get("metadata") or {}).get("language") or "python"
            parts.append(_block(code, lang))
        if str(d.get("output", "")).lower() != "false":
            parts += [o for o in (_output_md(out) for out in cell.get("outputs", [])) if o]
    head = []
    if fm.get("title"):
        head.append(f"# {fm['title']}")
    if fm.get("description"):
        head.append(f"> {fm['description']}")
    head.append(_WARNING)
    text = "\n\n".join(head + parts)
    return "\n".join(l.rstrip() for l in text.splitlines()).strip("\n") + "\n"


def write_readme(cfg) -> Path:
    nb = cfg.nbs_path / cfg.readme_nb
    if not nb.exists():
        raise DocsError(f"{nb.relative_to(ROOT)} not found: it is the home page of the docs and the source of README.md")
    try:
        text = readme_text(cfg, nb)
    except (ValueError, KeyError) as e:
        raise DocsError(f"{nb.relative_to(ROOT)}: cannot read it: {e}") from e
    out = cfg.config_path / "README.md"
    if not out.exists() or out.read_bytes() != text.encode("utf-8"):
        out.write_bytes(text.encode("utf-8"))
    return out


# ------------------------------------------------------------------ main


def build(args) -> int:
    t0 = time.time()
    cfg = config()
    readme = write_readme(cfg)
    log(f"docs: wrote {readme.relative_to(ROOT)} from {(cfg.nbs_path / cfg.readme_nb).relative_to(ROOT)}")
    if args.readme_only:
        return 0
    refresh_config(cfg)
    check_modidx(cfg)
    cache = proc_nbs(cfg, args.workers, args.force)
    side = sidebar_yml(cfg)
    if side is not None and (not (cache / "sidebar.yml").exists() or (cache / "sidebar.yml").read_text() != side):
        (cache / "sidebar.yml").write_text(side)
    quarto = shutil.which("quarto") and not args.smalldocs
    site = render_quarto(cfg, cache) if quarto else render_smalldocs(cfg, cache)
    index = site / "index.html"
    if not index.exists():
        raise DocsError(f"the build wrote no {index.relative_to(ROOT)}")
    print(f"docs: site built with {'Quarto' if quarto else 'smalldocs'} in {time.time() - t0:.0f}s: {index}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Build the docs site (_docs/) and README.md from the notebooks in nbs/.")
    p.add_argument("--readme-only", action="store_true", help="only write README.md from nbs/index.ipynb")
    p.add_argument("--force", action="store_true", help="reprocess every notebook, ignoring the _proc/ cache")
    p.add_argument("--smalldocs", action="store_true", help="render with smalldocs even when quarto is on PATH")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="notebook processing workers (default: one per CPU)")
    args = p.parse_args(argv)
    try:
        return build(args)
    except DocsError as e:
        for line in str(e).splitlines():
            print(f"docs: error: {line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("docs: error: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # anything else is a bug here or in nbdev/smalldocs: still one line
        print(f"docs: error: {type(e).__name__}: {e} (run with DOCS_DEBUG=1 for the traceback)", file=sys.stderr)
        if os.environ.get("DOCS_DEBUG"):
            raise
        return 1


if __name__ == "__main__":
    sys.exit(main())
