"""Inline SVG for the dashboard: a trend line over commits and horizontal bars comparing tools.
Plain strings, no library: the page must open offline, with nothing fetched."""
from html import escape

from dashboard_figures import format_value

OURS, PEER, MET, MISSED, NEUTRAL, TARGET = "#1f6feb", "#8c959f", "#1a7f37", "#cf222e", "#1f6feb", "#bf3989"


def _status_colour(met):
    return MET if met else MISSED if met is False else NEUTRAL


def _short(label: str) -> str:
    """"df7d588 2026-11-30 15:30" -> "df7d588 11-30"."""
    commit, _, when = label.partition(" ")
    return f"{commit} {when[5:10]}".strip()


def trend(points, unit: str, target=None, width=300, height=84, compact=False, higher_is_better=None) -> str:
    """points: [(commit label, value, met)] oldest first; target: (threshold, text) or None."""
    if not points:
        return '<span class="muted">no history</span>'
    left, right = (4, 4) if compact else (8, 74)
    top, bottom = (4, 4) if compact else (18, 20)
    values = [v for _, v, _ in points]
    span = values + ([target[0]] if target else [])
    # From zero: a 1% wobble must not look like a cliff.
    lo, hi = min(min(span), 0.0), max(span)
    if hi == lo:
        lo, hi = lo - (abs(lo) * 0.1 or 1), hi + (abs(hi) * 0.1 or 1)
    margin = (hi - lo) * 0.08
    lo, hi = lo - margin, hi + margin
    inner_w, inner_h = width - left - right, height - top - bottom

    def x(i):
        return left + inner_w * (i / (len(points) - 1) if len(points) > 1 else 0.5)

    def y(v):
        return top + inner_h * (1 - (v - lo) / (hi - lo))

    parts = [f'<svg class="trend" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="trend over {len(points)} runs">']
    if target:
        ty = y(target[0])
        parts.append(f'<line x1="{left}" x2="{left + inner_w}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="{TARGET}" '
                     f'stroke-dasharray="4 3" stroke-width="1"/>')
        if not compact:  # a legend on the top line, where no point can sit
            parts.append(f'<line x1="{left + inner_w - 14}" x2="{left + inner_w}" y1="7" y2="7" stroke="{TARGET}" '
                         f'stroke-dasharray="4 3"/><text x="{left + inner_w - 18}" y="10" class="svg-target" '
                         f'text-anchor="end">target {escape(target[1])}</text>')
    if higher_is_better is not None and not compact:
        parts.append(f'<text x="{left}" y="10" class="svg-axis">{"higher" if higher_is_better else "lower"} is better</text>')
    if len(points) > 1:
        path = " ".join(f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<path d="{path}" fill="none" stroke="{NEUTRAL}" stroke-width="{1.5 if compact else 2}"/>')
    for i, (label, value, met) in enumerate(points):
        last = i == len(points) - 1
        radius = (2.2 if compact else 3) + (1 if last else 0)
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="{radius}" fill="{_status_colour(met)}">'
                     f'<title>{escape(label)}: {escape(format_value(value, unit))}</title></circle>')
    if not compact:
        parts.append(f'<text x="{x(len(points) - 1) + 7:.1f}" y="{y(values[-1]) - 5:.1f}" class="svg-value">'
                     f'{escape(format_value(values[-1], unit))}</text>')
        first, last = _short(points[0][0]), _short(points[-1][0])
        parts.append(f'<text x="{left}" y="{height - 5}" class="svg-axis">{escape(first)}</text>')
        if len(points) > 1:
            parts.append(f'<text x="{left + inner_w}" y="{height - 5}" class="svg-axis" text-anchor="end">'
                         f'{escape(last)} · {len(points)} runs</text>')
    parts.append("</svg>")
    return "".join(parts)


def bars(items, width=400, row=22) -> str:
    """items: [Bar] — one horizontal bar each, scaled to the largest; min–max as a whisker."""
    if not items:
        return ""
    label_w, value_w = 190, 70
    inner = width - label_w - value_w
    top = max((b.high or b.value) for b in items) or 1
    height = row * len(items) + 2
    parts = [f'<svg class="bars" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img">']
    for i, b in enumerate(items):
        cy = i * row + row / 2 + 1
        w = max(1.5, inner * b.value / top)
        colour = OURS if b.ours else PEER
        parts.append(f'<text x="{label_w - 8}" y="{cy + 4:.1f}" text-anchor="end" class="svg-label'
                     f'{" ours" if b.ours else ""}">{escape(b.label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{cy - 7:.1f}" width="{w:.1f}" height="14" rx="2" fill="{colour}">'
                     f'<title>{escape(b.figure)}: {escape(format_value(b.value, b.unit))}</title></rect>')
        if b.low is not None and b.high is not None and b.high > b.low:
            x1, x2 = label_w + inner * b.low / top, label_w + inner * b.high / top
            parts.append(f'<line x1="{x1:.1f}" x2="{x2:.1f}" y1="{cy:.1f}" y2="{cy:.1f}" stroke="#24292f" '
                         f'stroke-width="1"><title>min–max of the repetitions</title></line>')
        parts.append(f'<text x="{label_w + max(w, inner * (b.high or 0) / top) + 6:.1f}" y="{cy + 4:.1f}" '
                     f'class="svg-value">{escape(format_value(b.value, b.unit))}</text>')
    parts.append("</svg>")
    return "".join(parts)
