"""Opens a clmkit report in headless Chromium (Debian's ``chromium`` package) and checks
what a reader would see, at each given window width:

- no console errors and no failed resource;
- every image decoded (``complete`` with a natural width);
- no horizontal overflow (the page is no wider than the window);
- every section of the report present and not empty;

and keeps a full-page screenshot per width (``report-<width>px.png``) in ``--shots``.

The page under test is a copy of the report with one inline script prepended that records
errors and writes its findings into the DOM, which ``--dump-dom`` prints after load
(Chromium's own headless mode; no driver, no Python browser package).

Run: ``python tests/report/browser_check.py REPORT.html [--widths 700 1400] [--shots DIR]``;
exit 0 when every check passes, 1 otherwise (the failures are printed), 77 when no
Chromium is installed.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = """<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  var t = e.target || {};
  window.__errors.push(t.tagName ? ("failed to load " + t.tagName + " " + String(t.src).slice(0, 80))
                                 : ("error: " + e.message));
}, true);
(function () {
  var orig = console.error;
  console.error = function () { window.__errors.push("console.error: " + Array.from(arguments).join(" ")); orig.apply(console, arguments); };
})();
window.addEventListener("load", function () {
  var imgs = Array.from(document.images);
  var out = {
    errors: window.__errors,
    width: window.innerWidth,
    scroll_width: document.documentElement.scrollWidth,
    images: imgs.length,
    undecoded: imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).map(function (i) { return i.alt; }),
    sections: Array.from(document.querySelectorAll("section")).map(function (s) {
      return [s.id, s.innerText.trim().length, s.scrollWidth > s.clientWidth + 1 ? 1 : 0];
    }),
    wide: Array.from(document.querySelectorAll("body *")).filter(function (el) {
      var r = el.getBoundingClientRect();
      return r.right > window.innerWidth + 1 && !el.closest(".tw");
    }).slice(0, 5).map(function (el) { return el.tagName + "." + el.className; })
  };
  var pre = document.createElement("pre");
  pre.id = "__check";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    for name in CHROMIUM:
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(chromium: str, args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    base = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-extensions",
        "--enable-logging=stderr",
        "--v=0",
    ]
    return subprocess.run(base + args, capture_output=True, text=True, timeout=timeout)


def check(chromium: str, report: Path, width: int, shots: Path, sections: list[str]) -> list[str]:
    """Failures of the page at ``width`` px (empty when it passes); saves the screenshot."""
    text = report.read_text(encoding="utf-8")
    probed = text.replace("<head>", "<head>\n" + PROBE, 1)
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "probe.html"
        page.write_text(probed, encoding="utf-8")
        profile = Path(tmp) / "profile"
        dom = _run(
            chromium,
            [
                f"--user-data-dir={profile}",
                f"--window-size={width},1000",
                "--virtual-time-budget=10000",
                "--dump-dom",
                page.as_uri(),
            ],
        )
        m = re.search(r'<pre id="__check">(.*?)</pre>', dom.stdout, re.S)
        if not m:
            return [f"{width}px: the page did not load (stderr: {dom.stderr[-500:]})"]
        found = json.loads(html.unescape(m.group(1)))
        height = 1000 + 200 * len(sections) + 500 * found["images"]
        _run(
            chromium,
            [
                f"--user-data-dir={profile}",
                f"--window-size={width},{min(height, 16000)}",
                f"--screenshot={shots / f'report-{width}px.png'}",
                report.resolve().as_uri(),
            ],
        )
    console = [ln for ln in dom.stderr.splitlines() if "CONSOLE" in ln and "__check" not in ln]
    fails = [f"{width}px: {e}" for e in found["errors"]] + [f"{width}px: {c}" for c in console]
    if found["scroll_width"] > found["width"]:
        fails.append(
            f"{width}px: horizontal overflow, page {found['scroll_width']} px wide "
            f"(elements: {found['wide']})"
        )
    fails += [f"{width}px: image not decoded: {alt}" for alt in found["undecoded"]]
    present = {sid: (length, over) for sid, length, over in found["sections"]}
    for sid in sections:
        if sid not in present:
            fails.append(f"{width}px: section {sid!r} missing")
        elif present[sid][0] == 0:
            fails.append(f"{width}px: section {sid!r} is empty")
    return fails


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--widths", type=int, nargs="+", default=[700, 1400])
    parser.add_argument("--shots", type=Path, default=None, help="screenshot folder")
    parser.add_argument("--sections", nargs="*", default=None, help="ids that must be present")
    args = parser.parse_args(argv)
    chromium = find_chromium()
    if chromium is None:
        print("browser_check: no chromium on PATH (apt-get install chromium)", file=sys.stderr)
        return 77
    shots = args.shots or Path(tempfile.mkdtemp(prefix="clmkit-report-shots-"))
    shots.mkdir(parents=True, exist_ok=True)
    if args.sections is None:
        from clmkit.report.content import SECTIONS

        args.sections = [sid for sid, _ in SECTIONS]
    fails = []
    for width in args.widths:
        fails += check(chromium, args.report, width, shots, args.sections)
    for f in fails:
        print("browser_check: FAIL", f, file=sys.stderr)
    print(f"browser_check: {'FAILED' if fails else 'OK'}; screenshots in {shots}", file=sys.stderr)
    return 1 if fails else 0


if __name__ == "__main__":
    raise SystemExit(main())
