"""The benchmark dashboard (benches/dashboard.py): the five headlines first, with the numbers of
the recorded history, every figure below in words; and the page as headless Chromium shows it."""
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benches"))

import browser  # noqa: E402
import dashboard  # noqa: E402

SAMPLE = REPO / "benches" / "results" / "sample_history.jsonl"
# headline -> the figure it shows for a full run (compare.py's names)
HEADLINES = {"discovery": "discover_10k_speedup", "cursor": "run_at_cursor_median_ms",
             "run": "run_1000_speedup_vs_pytest", "keystroke": "lsp_keystroke_p50_ms", "memory": "server_rss_10k_mb"}


class Outline(HTMLParser):
    """What a reader meets, in order: panels, their sections, headline rows and the big numbers."""

    def __init__(self, page: str):
        super().__init__()
        self.root = {}
        self.panels = []  # [{"mode", "hidden", "sections": [id], "headlines": [attrs + "big"], "names": [...]}]
        self.buttons = []
        self._in = None  # "big" or "name" while inside such an element
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "html":
            self.root = a
        elif tag == "div" and "panel" in classes:
            self.panels.append({"mode": a["data-mode"], "hidden": "hidden" in a, "sections": [], "headlines": [],
                                "names": []})
        elif tag == "section":
            self.panels[-1]["sections"].append(a.get("id"))
        elif tag == "div" and "data-headline" in a:
            self.panels[-1]["headlines"].append({**a, "big": "", "text": ""})
        elif tag == "span" and "big" in classes:
            self._in = "big"
        elif tag == "td" and "name" in classes:
            self._in = "name"
        elif tag == "button":
            self.buttons.append(a.get("data-mode-tab"))

    def handle_endtag(self, tag):
        if tag in ("span", "td"):
            self._in = None

    def handle_data(self, data):
        if not self.panels:
            return
        panel = self.panels[-1]
        if self._in == "big":
            panel["headlines"][-1]["big"] += data
        elif self._in == "name":
            panel["names"].append(data)
        if panel["headlines"] and not panel["sections"][-1].startswith("raw"):
            panel["headlines"][-1]["text"] += data

    def panel(self, mode):
        return next(p for p in self.panels if p["mode"] == mode)


def sample():
    return dashboard.load(SAMPLE)


def latest_full(history):
    return [e for e in history if e["mode"] == "full"][-1]


def assert_headlines_from(outline: Outline, entry: dict):
    """The shown panel starts with the headlines: five rows whose numbers are the entry's."""
    panel = outline.panel(entry["mode"])
    assert panel["sections"][0].startswith("headlines"), panel["sections"]
    rows = panel["headlines"]
    assert [row["data-headline"] for row in rows] == list(HEADLINES)
    for row in rows:
        figure = HEADLINES[row["data-headline"]]
        value = entry["figures"][figure]["value"]
        assert row["data-figure"] == figure
        assert float(row["data-value"]) == value
        assert row["big"] == dashboard.format_value(value, dashboard.meaning(figure, {}).unit)


def test_the_headlines_come_first_with_the_numbers_of_the_history():
    history = sample()
    outline = Outline(dashboard.render_html(history))
    assert [p["mode"] for p in outline.panels] == ["full", "quick"]
    assert not outline.panel("full")["hidden"] and outline.panel("quick")["hidden"]
    assert_headlines_from(outline, latest_full(history))
    # Written out, against the sample's own figures: 57.67x at discovery, 31.28 ms at the cursor.
    rows = {row["data-headline"]: row for row in outline.panel("full")["headlines"]}
    assert rows["discovery"]["big"] == "57.7×" and "target ≥ 50× ✓ met" in rows["discovery"]["text"]
    assert rows["cursor"]["big"] == "31.3 ms"
    # A missed target says so; the peers of the same run are beside it.
    assert "target ≥ 1.5× ✗ missed" in rows["run"]["text"]
    assert "pytest -n 2 (xdist)" in rows["run"]["text"] and "pytest --collect-only -q" in rows["discovery"]["text"]
    # Quick runs measure smaller suites: their own panel, their own figures, no borrowed target.
    quick = {row["data-headline"]: row for row in outline.panel("quick")["headlines"]}
    assert quick["discovery"]["data-figure"] == "discover_2k_speedup"
    assert quick["run"]["data-figure"] == "run_200_speedup_vs_pytest"
    assert "no target recorded" in quick["discovery"]["text"]


def test_every_figure_is_listed_below_in_words_with_its_unit():
    history = sample()
    page = dashboard.render_html(history)
    entry = latest_full(history)
    names = Outline(page).panel("full")["names"]
    assert sorted(names) == sorted(entry["figures"])
    for name in entry["figures"]:
        m = dashboard.meaning(name, {})
        assert m.group != "other", f"{name} has no words on the dashboard"
        assert m.unit, f"{name} has no unit"
    assert "fastest discover, cold (wall time)" in page and "Other figures" not in page
    assert '<h3 id="full-keystroke">Keystroke</h3>' in page and '<h3 id="full-memory">Memory</h3>' in page


def test_a_headline_without_data_says_so_and_the_others_still_show(tmp_path):
    history = sample()
    entry = latest_full(history)
    for name in [n for n in entry["figures"] if n.startswith("run_") or n.startswith("server_rss")]:
        del entry["figures"][name]
    entry["notes"] = ["runs: TimeoutExpired: pytest took too long"]
    entry["figures"]["discover_pytest_s"]["value"] = float("nan")  # compare.py can record NaN
    page = dashboard.render_html(history)
    assert not re.search(r'="[^"]*\bnan\b', page, re.IGNORECASE)  # no NaN coordinates in any chart
    outline = Outline(page)
    rows = {row["data-headline"]: row for row in outline.panel("full")["headlines"]}
    assert list(rows) == list(HEADLINES)
    for key in ("run", "memory", "cursor"):
        assert "is-missing" in rows[key]["class"] and "data-value" not in rows[key]
        assert "No data: not measured in commit 49cfb24." in rows[key]["text"]
    assert "TimeoutExpired" in rows["run"]["text"]
    assert float(rows["discovery"]["data-value"]) == entry["figures"]["discover_10k_speedup"]["value"]


def test_an_empty_history_renders_five_empty_headlines(tmp_path):
    history = tmp_path / "none.jsonl"
    assert dashboard.main(["--history", str(history), "--out", str(tmp_path), "--no-png"]) == 0
    page = (tmp_path / "dashboard.html").read_text()
    rows = Outline(page).panel("full")["headlines"]
    assert [row["data-headline"] for row in rows] == list(HEADLINES)
    assert all("No data" in row["text"] for row in rows)
    assert "No benchmark runs recorded yet." in page


def test_the_page_fetches_nothing():
    page = dashboard.render_html(sample())
    for outside in ("http://", "https://", "<link", " src="):
        assert outside not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


@pytest.fixture(scope="module")
def chromium():
    found = browser.find_chromium()
    if not found:
        pytest.skip("no headless Chromium on PATH (scripts/setup.sh installs Debian's chromium; "
                    "or set FASTEST_CHROMIUM)")
    return found


def console_errors(stderr: str):
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def test_chromium_renders_the_dashboard_with_its_script_and_no_errors(tmp_path, chromium):
    assert dashboard.main(["--history", str(SAMPLE), "--out", str(tmp_path)]) == 0
    page = tmp_path / "dashboard.html"
    dom = browser.dump_dom(chromium, page)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert console_errors(dom.stderr) == []
    outline = Outline(dom.stdout)
    assert outline.root.get("data-dashboard") == "ready"  # the script ran to its end
    assert outline.buttons == ["full", "quick"]  # the switch exists only when the script made it
    assert_headlines_from(outline, latest_full(sample()))
    # The switch works from a link: #quick shows the quick panel and hides the full one.
    quick = Outline(browser.dump_dom(chromium, page, fragment="quick").stdout)
    assert quick.panel("full")["hidden"] and not quick.panel("quick")["hidden"]


def test_the_screenshot_of_the_first_screen_is_not_blank(tmp_path, chromium):
    from PIL import Image, ImageStat
    assert dashboard.main(["--history", str(SAMPLE), "--out", str(tmp_path)]) == 0
    png = tmp_path / "dashboard.png"
    image = Image.open(png).convert("RGB")
    assert image.size == (1280, 900)
    assert max(ImageStat.Stat(image).stddev) > 20  # a blank or single-colour page is ~0
    assert len(image.getcolors(maxcolors=1 << 20)) > 100  # text, bars and charts, not a flat fill
    # The headline cards' colours are drawn: the missed targets' red border is on screen.
    assert any(count > 200 for count, colour in image.getcolors(maxcolors=1 << 20) if colour == (0xcf, 0x22, 0x2e))
