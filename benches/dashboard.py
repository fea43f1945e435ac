#!/usr/bin/env python3
"""Draws benches/results/history.jsonl as a dashboard people read: one self-contained HTML page
(inline SVG, CSS and a small script; nothing fetched) and a PNG of its first screen.

First the five headlines — discovery, run at cursor, a whole run, the keystroke, memory — each
against its target, against pytest and the peers measured in the same run, and its trend over
commits; below, every figure of the run, grouped and labelled in words. One panel per kind of
run (full, quick), since their suites differ in size.

    python benches/dashboard.py [--history FILE] [--out DIR] [--no-png]
"""
import argparse
import json
import math
import re
import sys
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import browser  # noqa: E402
from compare import HIGHER_IS_BETTER  # noqa: E402
from dashboard_figures import GROUPS, format_value, meaning  # noqa: E402
from dashboard_headlines import headlines, target_of  # noqa: E402
from dashboard_svg import bars, trend  # noqa: E402

MODE_TITLES = {"full": "Full runs", "quick": "Quick runs (CI)"}


def load(path: Path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def modes_of(history):
    found = {entry.get("mode", "full") for entry in history}
    return [m for m in ("full", "quick") if m in found] + sorted(found - {"full", "quick"})


def runs_of(history, mode):
    return [entry for entry in history if entry.get("mode", "full") == mode]


def label_of(entry) -> str:
    return f"{entry.get('commit', '?')} {entry.get('date', '')[:16].replace('T', ' ')}"


def points(runs, figure):
    """[(label, value, met)] of one figure over the runs that recorded it, oldest first."""
    return [(label_of(e), e["figures"][figure]["value"], e["figures"][figure].get("met"))
            for e in runs if figure in e.get("figures", {}) and math.isfinite(e["figures"][figure]["value"])]


def threshold_of(figure, runs):
    """The target line of a trend: (threshold, text) from the latest run that recorded one."""
    for entry in reversed(runs):
        recorded = entry.get("figures", {}).get(figure, {}).get("target")
        if recorded:
            op, value = recorded.split()
            unit = meaning(figure, HIGHER_IS_BETTER).unit
            shown = f"{float(value):g}{unit}" if unit in ("×", "%") else f"{float(value):g} {unit}"
            return float(value), f"{op.replace('>=', '≥').replace('<=', '≤')} {shown}"
    return None


# --- the first screen ----------------------------------------------------------------------
def render_targets(h) -> str:
    if not h.targets:
        return '<ul class="targets"><li class="none">no target recorded for this figure</li></ul>'
    items = []
    for t in h.targets:
        what = "" if t.figure == h.figure else f" ({format_value(t.value, meaning(t.figure, HIGHER_IS_BETTER).unit)})"
        status = "none" if t.met is None else "met" if t.met else "missed"
        mark = {"met": "✓ met", "missed": "✗ missed", "none": ""}[status]
        items.append(f'<li class="{status}">target {escape(t.text)}{escape(what)} {mark}</li>')
    return f'<ul class="targets">{"".join(items)}</ul>'


def render_headline(h, runs) -> str:
    if h.figure is None:
        return (f'<div class="headline is-missing" data-headline="{h.key}"><div class="h-what"><h2>{escape(h.title)}</h2>'
                f'</div><p class="missing">{escape(h.missing)}</p></div>')
    met = [t.met for t in h.targets if t.met is not None]
    state = "is-missed" if False in met else "is-met" if met else ""
    note = f'<p class="note">{escape(h.note)}</p>' if h.note else ""
    chart = trend(points(runs, h.figure), h.unit, threshold_of(h.figure, runs),
                  higher_is_better=meaning(h.figure, HIGHER_IS_BETTER).higher_is_better)
    return (f'<div class="headline {state}" data-headline="{h.key}" data-figure="{escape(h.figure)}" '
            f'data-value="{h.value!r}">'
            f'<div class="h-what"><h2>{escape(h.title)}</h2><p class="scope">{escape(h.scope)}</p></div>'
            f'<div class="h-value"><span class="big">{escape(format_value(h.value, h.unit))}</span>'
            f'<span class="caption">{escape(h.caption)}</span>{render_targets(h)}</div>'
            f'<div class="h-peers">{bars(h.bars)}{note}</div>'
            f'<div class="h-trend">{chart}</div></div>')


def repetitions(entry) -> str:
    counts = [fig["n"] for fig in entry.get("figures", {}).values() if "n" in fig and fig["n"] > 1]
    return f"medians of {max(set(counts), key=counts.count)} interleaved repetitions" if counts else ""


def newer_run_hint(entry, newest) -> str:
    """The panel shows its own kind of run; say when another kind ran since."""
    if not newest or newest is entry or newest.get("date", "") <= entry.get("date", ""):
        return ""
    mode = newest.get("mode", "full")
    return (f'<p class="newer">A newer {escape(mode)} run exists: commit {escape(str(newest.get("commit", "?")))} on '
            f'{escape(newest.get("date", "")[:10])} (see “{escape(MODE_TITLES.get(mode, mode))}”).</p>')


def render_run_line(entry, runs, all_headlines, newest=None) -> str:
    if entry is None:
        return '<div class="run-line">No benchmark runs recorded yet.</div>'
    machine = entry.get("machine", {})
    facts = [f"commit <strong>{escape(str(entry.get('commit', '?')))}</strong>",
             escape(entry.get("date", "")[:16].replace("T", " ") + " UTC"),
             f"{escape(str(machine.get('cpus', '?')))} CPUs", f"Python {escape(str(machine.get('python', '?')))}",
             repetitions(entry), f"{len(runs)} runs recorded"]
    targets = [t.met for h in all_headlines for t in h.targets if t.met is not None]
    missed = targets.count(False)
    pill = ('<span class="pill none">no targets measured</span>' if not targets else
            f'<span class="pill ok">all {len(targets)} headline targets met</span>' if not missed else
            f'<span class="pill bad">{missed} of {len(targets)} headline targets missed</span>')
    notes = "".join(f'<p class="notes">note: {escape(n)}</p>' for n in entry.get("notes", []))
    return (f'<div class="run-line"><span>Latest {escape(entry.get("mode", ""))} run: {" · ".join(f for f in facts if f)}'
            f'</span>{pill}</div>{newer_run_hint(entry, newest)}{notes}')


def render_headlines(mode, runs, newest=None) -> str:
    latest = runs[-1] if runs else None
    items = headlines(latest)
    head = ('<div class="headline-head"><span>what</span><span>latest, against its target</span>'
            '<span>against pytest and peers, same run</span><span>trend over commits</span></div>')
    return (f'<section class="headlines" id="headlines-{mode}">{render_run_line(latest, runs, items, newest)}{head}'
            f'{"".join(render_headline(h, runs) for h in items)}</section>')


# --- every figure, grouped -----------------------------------------------------------------
def change_cell(figure, runs, better_up) -> str:
    values = [v for _, v, _ in points(runs, figure)]
    if len(values) < 2 or not values[-2]:
        return '<td class="num muted">—</td>'
    change = (values[-1] - values[-2]) / abs(values[-2]) * 100
    if abs(change) < 0.5:
        return '<td class="num muted">±0%</td>'
    verdict = "" if abs(change) < 10 else "better" if (change > 0) == better_up else "worse"
    return f'<td class="num {verdict}">{change:+.0f}%{" " + verdict if verdict else ""}</td>'


def figure_row(name, figures, runs) -> str:
    fig, m = figures[name], meaning(name, HIGHER_IS_BETTER)
    spread = (f'{format_value(fig["min"], m.unit)} – {format_value(fig["max"], m.unit)} (n={fig.get("n", "?")})'
              if "min" in fig and "max" in fig else "")
    target = target_of(name, figures)
    status = "" if target is None or target.met is None else "met" if target.met else "missed"
    target_text = f'{target.text} {"✓" if status == "met" else "✗" if status else ""}' if target else ""
    return (f'<tr><td>{escape(m.label)}</td><td class="num">{escape(format_value(fig["value"], m.unit))}</td>'
            f'<td class="num muted">{escape(spread)}</td><td class="num {status}">{escape(target_text)}</td>'
            f'{change_cell(name, runs, m.higher_is_better)}'
            f'<td>{trend(points(runs, name), m.unit, threshold_of(name, runs), width=130, height=26, compact=True)}</td>'
            f'<td class="name">{escape(name)}</td></tr>')


def render_raw(mode, runs) -> str:
    latest = runs[-1] if runs else None
    if latest is None or not latest.get("figures"):
        return f'<section class="raw" id="raw-{mode}"><h2>Every figure</h2><p class="muted">No figures recorded.</p></section>'
    grouped = {}
    for name in latest["figures"]:  # compare.py's order, which follows its sections
        grouped.setdefault(meaning(name, HIGHER_IS_BETTER).group, []).append(figure_row(name, latest["figures"], runs))
    parts = [f'<section class="raw" id="raw-{mode}"><h2>Every figure of this run, grouped</h2>'
             f'<p class="desc">{len(latest["figures"])} figures from commit {escape(str(latest.get("commit", "?")))}; '
             f'times are wall-clock medians, memory is peak RSS. Change is against the previous {escape(mode)} run.</p>']
    head = ('<colgroup><col class="c-what"><col class="c-latest"><col class="c-spread"><col class="c-target">'
            '<col class="c-change"><col class="c-trend"><col class="c-name"></colgroup>'
            '<tr><th>what was measured</th><th>latest</th><th>spread (min – max)</th><th>target</th>'
            '<th>change</th><th>trend</th><th>figure</th></tr>')
    for key, title, description in GROUPS:
        if key in grouped:
            parts.append(f'<h3 id="{mode}-{key}">{escape(title)}</h3><p class="desc">{render_code(description)}</p>'
                         f'<table>{head}{"".join(grouped[key])}</table>')
    parts.append("</section>")
    return "".join(parts)


def render_code(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text))


# --- the page ------------------------------------------------------------------------------
def render_html(history, title="fastest benchmarks") -> str:
    modes = modes_of(history) or ["full"]
    default = modes[0]
    panels = []
    for mode in modes:
        runs = runs_of(history, mode)
        panel_title = MODE_TITLES.get(mode, f"{mode} runs")
        hidden = "" if mode == default else " hidden"
        panels.append(f'<div class="panel" data-mode="{escape(mode)}" data-title="{escape(panel_title)}"{hidden}>'
                      f'{render_headlines(mode, runs, history[-1] if history else None)}{render_raw(mode, runs)}</div>')
    css = (HERE / "dashboard.css").read_text()
    script = (HERE / "dashboard.js").read_text()
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{escape(title)}</title><style>{css}</style></head>
<body><header class="top"><h1>{escape(title)}</h1>
<p class="sub">Headline figures first, each against its target (DESIGN.md §5) and against pytest and pytest-xdist timed in the same run; every recorded figure below.</p>
<nav id="modes" data-default="{escape(default)}" aria-label="kind of run"></nav></header>
<main>{''.join(panels)}</main>
<footer>Drawn by <code>benches/dashboard.py</code> from <code>benches/results/history.jsonl</code> ({len(history)} runs), which
<code>scripts/bench.sh</code> appends to. Full runs: 10,000-test discovery, 1,000-test runs; quick runs (CI) use smaller suites, so
the two are charted apart.</footer>
<script>{script}</script></body></html>
"""


def render_png(html_path: Path, png_path: Path) -> str:
    """A screenshot of the first screen in headless Chromium; returns what happened."""
    chromium = browser.find_chromium()
    if not chromium:
        return "no Chromium found: dashboard.png not drawn"
    browser.screenshot(chromium, html_path, png_path)
    return f"drew {png_path}" if png_path.exists() else f"Chromium drew no {png_path}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--history", default=str(HERE / "results" / "history.jsonl"))
    parser.add_argument("--out", default=str(HERE / "results"))
    parser.add_argument("--no-png", action="store_true")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    page = out / "dashboard.html"
    page.write_text(render_html(load(Path(args.history))))
    print(f"wrote {page}")
    if not args.no_png:
        print(render_png(page, out / "dashboard.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
