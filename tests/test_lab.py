"""`make lab`: JupyterLab from this project's environment, with its kernel `advae` ("Python (advae)").

One Jupyter server is started from the environment the tests run in (.venv under `make test`) with the options
`make lab` gives it, on a free local port with a token, in a temporary root holding an `nbs/` folder, with its own
Jupyter config, data and runtime folders (nothing is written to ~/.jupyter). The tests talk to it as JupyterLab
does: its REST API, and a kernel's websocket channel (tornado, which the server itself runs on). A last test
screenshots the Lab page with headless Chromium (tools/screenshot.py) and checks that the interface was drawn.
"""

import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import types
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytest.importorskip("jupyterlab", reason="JupyterLab is not installed (it is in advae's dev extras: `make setup`)")

ROOT = Path(__file__).resolve().parents[1]
KERNEL, DISPLAY = "advae", "Python (advae)"
START_TIMEOUT = 180      # seconds for the server to answer; generous for a busy 2-core machine
CELL_TIMEOUT = 180       # seconds for a cell (importing advae imports torch)
# The options of `make lab` (Makefile), less the root, which is temporary here.
LAB_OPTIONS = ["--LabApp.default_url=/lab/tree/nbs", f"--MappingKernelManager.default_kernel_name={KERNEL}"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(lab, method: str, path: str, body=None, timeout: float = 30):
    "A request to the server with its token; returns (status, final URL, content type, body as text)."
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(lab.url + path, data=data, method=method,
                                 headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.url, r.headers.get("Content-Type", ""), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.url, e.headers.get("Content-Type", ""), e.read().decode("utf-8", "replace")


def log_tail(lab, n: int = 4000) -> str:
    return lab.log.read_text(encoding="utf-8", errors="replace")[-n:]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    "A running JupyterLab server: url, token, root (the temporary root, with nbs/probe.ipynb), log, proc."
    base = tmp_path_factory.mktemp("lab")
    root, home = base / "root", base / "home"
    (root / "nbs").mkdir(parents=True)
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# probe"]}],
          "metadata": {"kernelspec": {"name": KERNEL, "display_name": DISPLAY, "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (root / "nbs" / "probe.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "IPYTHONDIR": str(home / "ipython"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "lab-settings"), "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "PYTHONUNBUFFERED": "1"}
    jupyter = Path(sys.executable).with_name("jupyter")   # `make lab` runs .venv/bin/jupyter lab
    cmd = [str(jupyter), "lab"] if jupyter.exists() else [sys.executable, "-m", "jupyterlab"]
    port, token = free_port(), secrets.token_hex(16)
    cmd += ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", *LAB_OPTIONS]
    if os.geteuid() == 0:   # as `make lab` does for root (containers)
        cmd.append("--allow-root")
    log = base / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                cwd=root, start_new_session=True)
    lab = types.SimpleNamespace(url=f"http://127.0.0.1:{port}", port=port, token=token, root=root, log=log, proc=proc)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the Jupyter server exited with status {proc.returncode}:\n{log_tail(lab)}")
            try:
                if http(lab, "GET", "/api/status", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the Jupyter server did not answer within {START_TIMEOUT} s:\n{log_tail(lab)}")
            time.sleep(0.5)
        yield lab
        # A clean shutdown, as File > Shut Down does: the server stops its kernels and exits with status 0.
        status = http(lab, "POST", "/api/shutdown")[0]
        try:
            rc = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            rc = None
        assert status == 200 and rc == 0, f"shutdown: HTTP {status}, exit status {rc}\n{log_tail(lab)}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def test_lab_page(lab):
    "GET /lab is JupyterLab's page; / opens it on nbs/, as `make lab` does."
    status, _, ctype, body = http(lab, "GET", "/lab")
    assert status == 200 and ctype.startswith("text/html"), (status, ctype)
    assert "<title>JupyterLab</title>" in body and 'id="jupyter-config-data"' in body
    status, url, _, _ = http(lab, "GET", "/")
    assert status == 200 and urlsplit(url).path == "/lab/tree/nbs", url


def test_kernelspec(lab):
    "The server offers the kernel `advae`, this environment's Python, as its default."
    status, _, _, body = http(lab, "GET", "/api/kernelspecs")
    assert status == 200, body
    specs = json.loads(body)
    assert KERNEL in specs["kernelspecs"], (
        f"no Jupyter kernel named {KERNEL!r} in this environment ({sys.prefix}): `make setup` registers it; "
        f"found {sorted(specs['kernelspecs'])}")
    spec = specs["kernelspecs"][KERNEL]["spec"]
    assert spec["display_name"] == DISPLAY
    assert Path(spec["argv"][0]).parent == Path(sys.executable).parent, spec["argv"]
    assert specs["default"] == KERNEL


async def _execute(lab, kernel_id: str, code: str) -> dict:
    "Run `code` through the kernel's websocket channel, as JupyterLab does; returns its reply and outputs."
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    session = uuid.uuid4().hex
    req = HTTPRequest(f"ws://127.0.0.1:{lab.port}/api/kernels/{kernel_id}/channels?session_id={session}",
                      headers={"Authorization": f"token {lab.token}"}, request_timeout=60)
    ws = await websocket_connect(req)
    msg_id = uuid.uuid4().hex
    ws.write_message(json.dumps({
        "channel": "shell", "buffers": [], "metadata": {}, "parent_header": {},
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": session, "username": "test",
                   "version": "5.3", "date": datetime.now(timezone.utc).isoformat()},
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True}}))
    got = {"reply": None, "idle": False, "stdout": "", "stderr": "", "data": [], "errors": []}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CELL_TIMEOUT
    try:
        while got["reply"] is None or not got["idle"]:
            raw = await asyncio.wait_for(ws.read_message(), max(1.0, deadline - loop.time()))
            if raw is None:
                raise AssertionError(f"the kernel's websocket closed: {got}")
            if isinstance(raw, bytes):  # a message with binary buffers (widgets); none of ours
                continue
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "execute_reply":
                got["reply"] = content
            elif kind == "status" and content["execution_state"] == "idle":
                got["idle"] = True
            elif kind == "stream":
                got[content["name"]] += content["text"]
            elif kind in ("display_data", "execute_result"):
                got["data"].append(content["data"])
            elif kind == "error":
                got["errors"].append(f"{content['ename']}: {content['evalue']}")
    finally:
        ws.close()
    return got


@pytest.fixture
def kernel(lab, request):
    "A fresh notebook session on the kernel `advae`, created through the REST API as Lab does; its kernel's id."
    name = f"{request.node.name}.ipynb"
    status, _, _, body = http(lab, "POST", "/api/sessions", {
        "path": f"nbs/{name}", "name": name, "type": "notebook", "kernel": {"name": KERNEL}}, timeout=120)
    assert status == 201, f"HTTP {status}: {body}\n{log_tail(lab)}"
    session = json.loads(body)
    assert session["kernel"]["name"] == KERNEL
    yield session["kernel"]["id"]
    assert http(lab, "DELETE", f"/api/sessions/{session['id']}")[0] == 204


def test_kernel_is_this_environment(lab, kernel):
    "A cell run in the `advae` kernel imports this advae from this environment."
    import advae

    got = asyncio.run(_execute(lab, kernel, "import advae, sys\nprint(advae.__version__, sys.prefix)"))
    assert got["reply"]["status"] == "ok" and not got["errors"], got
    assert got["stdout"].split() == [advae.__version__, sys.prefix], got


def test_progress_bars_are_widgets(lab, kernel):
    """With ipywidgets installed, importing advae's pipeline (as the run reports do) gives no 'IProgress not found'
    warning from tqdm (advae's evaluation uses `tqdm.auto`), and a `tqdm.auto` bar is a widget in the kernel. Without
    ipywidgets, tqdm warns on import and falls back to text bars."""
    code = ("import warnings\nwarnings.simplefilter('always')\nimport advae.pipeline\nfrom tqdm.auto import tqdm\n"
            "from tqdm.notebook import tqdm_notebook\nbar = tqdm(range(3), desc='probe')\nfor _ in bar: pass\n"
            "print('widget bar:', isinstance(bar, tqdm_notebook))")
    got = asyncio.run(_execute(lab, kernel, code))
    assert got["reply"]["status"] == "ok" and not got["errors"], got
    assert "IProgress" not in got["stderr"] and "TqdmWarning" not in got["stderr"], got["stderr"]
    assert "widget bar: True" in got["stdout"], got
    assert any("application/vnd.jupyter.widget-view+json" in d for d in got["data"]), got["data"]


LAB_BLUE = (25, 118, 210)   # JupyterLab's brand colour (--jp-brand-color1, light theme): the "+" button, selections


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not on PATH (Debian: apt-get install chromium)")
def test_screenshot(lab, tmp_path):
    "Headless Chromium draws Lab's interface (not a blank page, nor the login page) from the page `make lab` opens."
    from PIL import Image

    png = tmp_path / "lab.png"
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "screenshot.py"), f"{lab.url}/lab/tree/nbs?token={lab.token}",
                        "-o", str(png), "--size", "1280x1600", "--wait", "15000", "--browser", "chromium"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(png.resolve()) and png.is_file()
    im = Image.open(png).convert("RGB")
    assert im.size == (1280, 1600)
    colours = im.getcolors(im.size[0] * im.size[1])
    assert len(colours) > 100, f"a nearly blank screenshot: {len(colours)} colours"
    blue = sum(n for n, c in colours if c == LAB_BLUE)
    assert blue > 500, f"no JupyterLab interface in the screenshot ({blue} pixels of Lab's blue): {png}"
