#!/usr/bin/env python3
"""Draws benches/results/history.jsonl as a dashboard: one self-contained HTML page (inline
SVG, no scripts, no network) with a chart per figure, and a PNG of the same (matplotlib).

    python benches/dashboard.py [--history FILE] [--out DIR]
"""
import argparse
import html
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load(path: Path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def series(history, mode=None):
    """figure name -> [(label, value, target, met)] in history order."""
    out = {}
    for entry in history:
        if mode and entry.get("mode") != mode:
            continue
        label = f"{entry.get('commit', '?')} {entry.get('date', '')[:10]}"
        for name, fig in entry.get("figures", {}).items():
            out.setdefault(name, []).append((label, fig["value"], fig.get("target"), fig.get("met")))
    return out


def svg_chart(name, points, width=360, height=160):
    pad = 30
    values = [v for _, v, _, _ in points]
    target = next((t for _, _, t, _ in reversed(points) if t), None)
    tval = float(target.split()[1]) if target else None
    lo = min(values + ([tval] if tval is not None else []))
    hi = max(values + ([tval] if tval is not None else []))
    if hi == lo:
        hi = lo + 1
    lo = min(lo, 0) if lo >= 0 else lo

    def x(i):
        return pad + (width - 2 * pad) * (i / max(1, len(points) - 1))

    def y(v):
        return height - pad - (height - 2 * pad) * ((v - lo) / (hi - lo))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
             f'<rect width="{width}" height="{height}" fill="#fff" stroke="#ddd"/>']
    if tval is not None:
        parts.append(f'<line x1="{pad}" x2="{width - pad}" y1="{y(tval):.1f}" y2="{y(tval):.1f}" stroke="#c00" '
                     f'stroke-dasharray="4 3"/><text x="{width - pad}" y="{y(tval) - 3:.1f}" font-size="10" '
                     f'text-anchor="end" fill="#c00">target {html.escape(target)}</text>')
    path = " ".join(f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    parts.append(f'<path d="{path}" fill="none" stroke="#1f6feb" stroke-width="2"/>')
    for i, (label, v, _, met) in enumerate(points):
        colour = "#2da44e" if met else "#cf222e" if met is False else "#1f6feb"
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{colour}"><title>'
                     f'{html.escape(label)}: {v:.3f}</title></circle>')
    parts.append(f'<text x="{pad}" y="{height - 8}" font-size="10" fill="#555">{lo:.3g}</text>')
    parts.append(f'<text x="{pad}" y="{pad - 8}" font-size="10" fill="#555">{hi:.3g}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(history, title="fastest benchmarks"):
    cards = []
    for mode in ("full", "quick"):
        data = series(history, mode)
        if not data:
            continue
        cards.append(f"<h2>{mode} runs</h2><div class='grid'>")
        for name in sorted(data):
            points = data[name]
            last = points[-1]
            status = "" if last[3] is None else (" ✓" if last[3] else " ✗ missed")
            cards.append(f"<div class='card'><h3>{html.escape(name)}</h3><p>latest {last[1]:.3f}"
                         f"{html.escape(' (' + last[2] + ')' if last[2] else '')}{status}</p>{svg_chart(name, points)}</div>")
        cards.append("</div>")
    latest = history[-1] if history else {}
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:24px;color:#222}}.grid{{display:flex;flex-wrap:wrap;gap:16px}}
.card{{border:1px solid #ddd;border-radius:6px;padding:8px 12px}}h3{{font-size:14px;margin:4px 0}}p{{font-size:12px;margin:2px 0 6px}}</style>
</head><body><h1>{html.escape(title)}</h1><p>{len(history)} runs; latest {html.escape(str(latest.get('commit', '')))}
on {html.escape(str(latest.get('date', '')))} ({html.escape(str(latest.get('machine', {}).get('cpus', '?')))} cpus)</p>
{''.join(cards)}</body></html>
"""


def render_png(history, path: Path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    by_mode = {mode: series(history, mode) for mode in ("full", "quick")}
    names = sorted(set().union(*[set(d) for d in by_mode.values()]))
    if not names:
        return
    cols = 3
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 4.2, rows * 2.6), squeeze=False)
    colours = {"full": "#1f6feb", "quick": "#8250df"}
    for ax, name in zip(axes.flat, names):
        target = None
        for mode, data in by_mode.items():
            points = data.get(name)
            if not points:
                continue
            ax.plot(range(len(points)), [v for _, v, _, _ in points], marker="o", color=colours[mode], label=mode)
            target = target or next((t for _, _, t, _ in reversed(points) if t), None)
        if target:
            ax.axhline(float(target.split()[1]), color="#c00", linestyle="--", linewidth=1)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_xticks([])
        ax.legend(fontsize=6, loc="best")
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--history", default=str(HERE / "results" / "history.jsonl"))
    parser.add_argument("--out", default=str(HERE / "results"))
    parser.add_argument("--no-png", action="store_true")
    args = parser.parse_args(argv)
    history = load(Path(args.history))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "dashboard.html").write_text(render_html(history))
    if not args.no_png:
        render_png(history, out / "dashboard.png")
    print(f"wrote {out / 'dashboard.html'}" + ("" if args.no_png else f" and {out / 'dashboard.png'}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
