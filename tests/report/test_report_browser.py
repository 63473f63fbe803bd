"""The report in a real browser: headless Chromium (Debian's package; .ci/run installs it)
opens report.html at 700 px and 1400 px: no console errors, every image decoded, no
horizontal overflow, every section present. Screenshots are kept in a temp folder
($TMPDIR/clmkit-report-shots) as CI artefacts."""

import os
import sys
import tempfile
from pathlib import Path

import clmkit
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_check

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")
pytestmark = pytest.mark.skipif(
    browser_check.find_chromium() is None, reason="no chromium (apt-get install chromium)"
)
SHOTS = Path(os.environ.get("TMPDIR", tempfile.gettempdir())) / "clmkit-report-shots"


@pytest.mark.filterwarnings("ignore::clmkit.ClmkitWarning")
def test_demo_report_in_chromium_at_700_and_1400_px(tmp_path):
    log = clmkit.datasets.load_cdnow_master()
    a = clmkit.analyze(
        log, "customer_id", "date", "amount", calibration_period_end="1997-09-30", currency="USD"
    )
    report = a.report(tmp_path / "report.html")
    assert browser_check.main([str(report), "--shots", str(SHOTS)]) == 0
    for width in (700, 1400):
        assert (SHOTS / f"report-{width}px.png").stat().st_size > 10_000


def test_the_check_catches_overflow_and_broken_images(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        '<section id="a"><div style="width:2000px">wide</div></section>'
        '<section id="b"><img src="data:image/png;base64,AAAA" alt="broken"></section>'
        "</body></html>"
    )
    fails = browser_check.check(browser_check.find_chromium(), page, 700, tmp_path, ["a", "b", "c"])
    text = "\n".join(fails)
    assert "horizontal overflow" in text and "image not decoded: broken" in text
    assert "section 'c' missing" in text
