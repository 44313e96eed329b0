#!/usr/bin/env python
"""Screenshots of web pages or local HTML files with headless Chromium, as PNG files.

    python tools/screenshot.py runs/demo/gene-tissue.html                      # -> ./gene-tissue.png
    python tools/screenshot.py "http://127.0.0.1:8888/lab?token=..." -o lab.png
    python tools/screenshot.py a.html b.html --out-dir shots/ --size 1280x2400

Each target is a URL (http:, https:, file:) or the path of a file; it is opened in a fresh, temporary browser
profile (nothing is written to ~/.config), given `--wait` milliseconds of virtual time for its scripts to run
(JupyterLab needs several seconds to draw its interface), and captured at the window size. Chromium comes from
`--browser`, or the first of chromium, chromium-browser, google-chrome, google-chrome-stable on PATH (Debian:
`apt-get install chromium`; `make setup` tries to install it). Prints the path of each PNG it writes; on failure
it prints one line per target and exits with status 1.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class ShotError(Exception):
    "A failure the user can act on; its message is printed as is."


def find_browser(name: str | None = None) -> str:
    "The Chromium executable: `name` (a command or a path), or the first of `BROWSERS` on PATH."
    for cand in ([name] if name else BROWSERS):
        found = shutil.which(cand)
        if found:
            return found
    raise ShotError(f"{name!r} not found" if name else
                    f"no Chromium on PATH (tried {', '.join(BROWSERS)}); on Debian: apt-get install chromium")


def target_url(target: str) -> str:
    "A URL as is; anything else is the path of an existing file, as a file: URL."
    if re.match(r"^(https?|file):", target):
        return target
    p = Path(target)
    if not p.is_file():
        raise ShotError(f"{target}: not a URL (http:, https:, file:) and no such file")
    return p.resolve().as_uri()


def default_name(target: str) -> str:
    "A PNG name for a target: a file's stem, or the last part of a URL's path (`lab`), else its host."
    if not re.match(r"^(https?|file):", target):
        return Path(target).stem + ".png"
    parts = urlsplit(target)
    stem = Path(parts.path.rstrip("/")).stem or parts.hostname or "page"
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", stem) + ".png"


def screenshot(target: str, out: str | os.PathLike, browser: str | None = None, size: tuple[int, int] = (1280, 1600),
               wait_ms: int = 15000, timeout: float = 120.0) -> Path:
    """Capture `target` (a URL or a file's path) into the PNG `out` with headless Chromium and return its path.
    `wait_ms` is Chromium's virtual time budget: how long the page's own timers may run before the capture."""
    exe, url, out = find_browser(browser), target_url(target), Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)  # a stale file must not pass for a new screenshot
    with tempfile.TemporaryDirectory(prefix="advae-chromium-") as profile:
        cmd = [exe, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--no-default-browser-check",
               "--hide-scrollbars", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
               f"--window-size={size[0]},{size[1]}", f"--screenshot={out}", url]
        if wait_ms > 0:  # a budget of 0 makes Chromium wait forever; without one it captures at the load event
            cmd.insert(-2, f"--virtual-time-budget={wait_ms}")
        env = dict(os.environ, HOME=profile)  # some Chromium builds still write below $HOME (crash reports, fonts)
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ShotError(f"{target}: Chromium did not finish within {timeout:g} s") from None
    if not out.is_file() or out.stat().st_size == 0:
        err = [ln for ln in (r.stderr or "").splitlines() if ln.strip()]
        raise ShotError(f"{target}: Chromium wrote no screenshot (exit status {r.returncode})"
                        + (f": {err[-1].strip()}" if err else ""))
    return out


def parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)[x,](\d+)", text.strip())
    if not m or not all(int(v) > 0 for v in m.groups()):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1280x1600, got {text!r}")
    return int(m[1]), int(m[2])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Screenshot URLs or HTML files into PNGs with headless Chromium.")
    p.add_argument("targets", nargs="+", metavar="URL_OR_FILE", help="http(s)/file URLs or paths of HTML files")
    p.add_argument("-o", "--out", help="the PNG to write (only with one target)")
    p.add_argument("--out-dir", default=".", help="folder for the PNGs, named after each target (default: .)")
    p.add_argument("--size", type=parse_size, default=(1280, 1600), help="window size, WIDTHxHEIGHT (default 1280x1600)")
    p.add_argument("--wait", type=int, default=15000, metavar="MS",
                   help="virtual time the page's scripts get before the capture, in ms (default 15000)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds before giving up on one target (default 120)")
    p.add_argument("--browser", help="Chromium executable (default: the first of %s on PATH)" % ", ".join(BROWSERS))
    args = p.parse_args(argv)
    if args.out and len(args.targets) > 1:
        p.error("-o/--out takes one target; use --out-dir for several")
    failed = 0
    for t in args.targets:
        out = Path(args.out) if args.out else Path(args.out_dir) / default_name(t)
        try:
            print(screenshot(t, out, args.browser, args.size, args.wait, args.timeout))
        except ShotError as e:
            print(f"screenshot: error: {e}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
