"""The rendered book as a reader sees it: every page opened in headless Chromium (``make browser-test``).

Marked ``browser``: it needs Debian's ``chromium`` and Playwright's Python
package, and a built book (``_build/test-book`` from ``make test``, else it
builds one). Skipped, saying why, when either is missing. For every page: no
console errors, no raw ``\\(`` or ``\\[`` left after MathJax ran, every image
loaded, no path of the machine that built it, internal links resolve, no HTML id
used twice, no stderr box, the scoreboard within the page column; a
screenshot of each page goes to ``_build/screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from hashlib_core.runtime import repository_root

pytestmark = pytest.mark.browser
ROOT = repository_root()
MACHINE_PATHS = tuple(path for path in {str(ROOT), str(Path.home()), "/work/", "/tmp/"} if len(path) > 2)
MAX_STDERR_BOXES = 0  # _config.yml removes stderr (progress bars) from the pages


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # one line per request would bury the test report
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    html = ROOT / "_build" / "test-book" / "_build" / "html"
    if not (html / "index.html").exists():
        output = tmp_path_factory.mktemp("book")
        subprocess.run([sys.executable, "-m", "jupyter_book", "build", str(ROOT), "--path-output", str(output), "-q"],
                       check=True)
        html = output / "_build" / "html"
    handler = functools.partial(_QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield html, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium)")
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield launched
        launched.close()


def _pages(html: Path) -> list[str]:
    """Every content page (not the index, search and redirect stubs, nor theme assets)."""
    return sorted(str(path.relative_to(html)) for path in html.rglob("*.html")
                  if path.name not in ("genindex.html", "search.html") and "_static" not in path.parts
                  and 'http-equiv="Refresh"' not in path.read_text(errors="replace")[:2000])


def test_every_page_renders_for_a_reader(browser, site):  # browser first: skip before building a book
    html, base = site
    shots = ROOT / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    problems = []
    for page_path in _pages(html):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(base + page_path, wait_until="load")
        page.evaluate("async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }")
        page.wait_for_timeout(300)
        text = page.inner_text("body")
        raw_math = [marker for marker in ("\\(", "\\[") if marker in text]
        broken_images = page.eval_on_selector_all("img", "images => images.filter(i => !i.complete || "
                                                         "i.naturalWidth === 0).map(i => i.src)")
        paths = [path for path in MACHINE_PATHS if path in page.content()]
        repeated_ids = page.evaluate("() => { const seen = new Set(), twice = new Set(); "
                                     "for (const e of document.querySelectorAll('[id]')) { "
                                     "if (seen.has(e.id)) twice.add(e.id); seen.add(e.id); } return [...twice]; }")
        # progress bars and training logs flood a page with one grey box per line: a few stderr boxes at most
        stderr_boxes = page.eval_on_selector_all("div.output.stderr, div.cell_output .stderr",
                                                 "boxes => boxes.map(b => b.innerText.slice(0, 60))")
        flooded = stderr_boxes if len(stderr_boxes) > MAX_STDERR_BOXES else []
        # the front page's scoreboard: every column, the verdict last, visible without scrolling sideways
        overflowing = page.eval_on_selector_all(".scoreboard table", "tables => tables.filter(t => "
                                                "t.scrollWidth > t.parentElement.clientWidth + 1).map(t => t.scrollWidth)")
        links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
        dead: list[str] = []
        for link in links:
            target = urlparse(urljoin(page.url, link))
            if target.netloc == urlparse(base).netloc and target.path.endswith(".html"):
                if not (html / target.path.lstrip("/")).exists():
                    dead.append(link)
        page.screenshot(path=str(shots / (page_path.replace("/", "_") + ".png")), full_page=True)
        page.close()
        for kind, found in (("console errors", errors), ("raw math", raw_math), ("images not loaded", broken_images),
                            ("machine paths", paths), ("dead internal links", dead),
                            (f"more than {MAX_STDERR_BOXES} stderr output boxes (tag the cell remove-stderr)", flooded),
                            ("HTML ids used more than once", repeated_ids),
                            ("scoreboard wider than the page column (px)", overflowing)):
            if found:
                problems.append(f"{page_path}: {kind}: {found[:3]}")
    assert not problems, "\n".join(problems)
