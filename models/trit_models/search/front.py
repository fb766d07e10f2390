"""Pareto fronts of quality against cost, their SVG plots and the search report.

A trial is on the front of (quality, cost) when no other finished trial is at least as good in both
and better in one. Quality is maximised, every cost minimised; a trial without a figure for the cost
(it did not fit the UP5K, or the wasm build was skipped) is left out of that front, never given a
made-up value.
"""
import html
import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

# (metric, label, how it is obtained) of every cost a front is drawn for.
COSTS = [
    ("up5k_cycles", "UP5K cycles per image", "measured in simulation (Verilator), bit-exact with the interpreter"),
    ("up5k_logic_cells", "UP5K logic cells", "predicted by trit's fit model before synthesis (docs/verilog.md §A core per model), unless placed and routed"),
    ("wasm_us_per_image", "wasm µs per image (1 thread)", "measured: trit wasm, batch 1, on the search machine"),
    ("ternary_weights", "ternary weights", "counted"),
]
QUALITY = ("accuracy", "MNIST test accuracy", "measured: the PyTorch model on the test images")


def pareto(points: Sequence[Tuple[float, float]]) -> List[int]:
    """Indices of the points (quality ↑, cost ↓) no other point dominates, by rising cost."""
    out = []
    for i, (q, c) in enumerate(points):
        dominated = any((q2 >= q and c2 <= c) and (q2 > q or c2 < c) for j, (q2, c2) in enumerate(points) if j != i)
        if not dominated:
            out.append(i)
    return sorted(out, key=lambda i: (points[i][1], -points[i][0]))


def front_of(trials: List[Dict[str, Any]], cost: str) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """(trials with both figures, those of them on the front)."""
    have = [t for t in trials if t["status"] == "done" and _num(t["metrics"].get(QUALITY[0])) and _num(t["metrics"].get(cost))]
    idx = pareto([(t["metrics"][QUALITY[0]], t["metrics"][cost]) for t in have])
    return have, [have[i] for i in idx]


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def svg(trials: List[Dict[str, Any]], front: List[Dict[str, Any]], cost: str, cost_label: str, width: int = 560, height: int = 360) -> str:
    """A scatter of every trial (grey), the front (joined, labelled by trial id); log-scaled cost."""
    if not trials:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="60"><text x="10" y="30">no finished trial has a {html.escape(cost_label)}</text></svg>'
    L, R, T, B = 70, 20, 20, 50
    xs = [math.log10(max(t["metrics"][cost], 1e-9)) for t in trials]
    ys = [t["metrics"][QUALITY[0]] for t in trials]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    x0, x1 = (x0 - 0.1, x1 + 0.1) if x1 - x0 < 1e-9 else (x0 - 0.05 * (x1 - x0), x1 + 0.05 * (x1 - x0))
    y0, y1 = (y0 - 0.01, y1 + 0.01) if y1 - y0 < 1e-9 else (y0 - 0.05 * (y1 - y0), y1 + 0.05 * (y1 - y0))
    px = lambda x: L + (x - x0) / (x1 - x0) * (width - L - R)
    py = lambda y: height - B - (y - y0) / (y1 - y0) * (height - T - B)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<line x1="{L}" y1="{height - B}" x2="{width - R}" y2="{height - B}" stroke="black"/>',
           f'<line x1="{L}" y1="{T}" x2="{L}" y2="{height - B}" stroke="black"/>',
           f'<text x="{(L + width - R) / 2}" y="{height - 12}" text-anchor="middle">{html.escape(cost_label)} (log scale)</text>',
           f'<text x="14" y="{(T + height - B) / 2}" text-anchor="middle" transform="rotate(-90 14 {(T + height - B) / 2})">{html.escape(QUALITY[1])}</text>']
    for k in range(math.floor(x0), math.ceil(x1) + 1):
        for m in (1, 2, 5):  # ticks at 1, 2 and 5 × 10^k inside the range
            x = k + math.log10(m)
            if x0 <= x <= x1:
                out.append(f'<text x="{px(x):.1f}" y="{height - B + 14}" text-anchor="middle">{m * 10 ** k:g}</text>')
    for y in (y0, (y0 + y1) / 2, y1):
        out.append(f'<text x="{L - 4}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.4f}</text>')
    for x, y in zip(xs, ys):
        out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="#bbb"/>')
    pts = [(px(math.log10(max(t["metrics"][cost], 1e-9))), py(t["metrics"][QUALITY[0]]), t["id"]) for t in front]
    out.append('<polyline fill="none" stroke="#c33" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in pts) + '"/>')
    for x, y, i in pts:
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#c33"/><text x="{x + 6:.1f}" y="{y - 6:.1f}">#{i}</text>')
    out.append("</svg>")
    return "\n".join(out)


def report(trials: List[Dict[str, Any]], settings: Dict[str, Optional[str]]) -> Tuple[str, Dict[str, str]]:
    """The report's Markdown and its SVG files (name → text)."""
    done = [t for t in trials if t["status"] == "done"]
    failed = [t for t in trials if t["status"] == "failed"]
    cpu = sum(t["cpu_seconds"] or 0 for t in trials)
    L = ["# Search report", "",
         f"Family `{settings.get('family')}`; {len(trials)} trials ({len(done)} finished, {len(failed)} failed); "
         f"{cpu / 60:.1f} CPU-minutes in trials. Machine: {settings.get('machine', 'not recorded')}.", "",
         f"- quality: {QUALITY[1]} — {QUALITY[2]}"]
    L += [f"- {label} — {how}" for _, label, how in COSTS]
    svgs = {}
    for cost, label, _ in COSTS:
        have, front = front_of(trials, cost)
        name = f"front-{cost}.svg"
        svgs[name] = svg(have, front, cost, label)
        L += ["", f"## Front: {QUALITY[1]} against {label}", "", f"![front]({name})", "",
              "| trial | architecture | accuracy | " + label + " |", "|---|---|---|---|"]
        L += [f"| #{t['id']} | `{_arch(t)}` | {t['metrics']['accuracy']:.4f} | {_fmt(t['metrics'][cost])} |" for t in front]
    L += ["", "## Archive", "", "UP5K logic cells marked P&R come from a real build (with its Fmax); the others are predicted.", "",
          "| trial | proposer | architecture | status | accuracy | UP5K cycles | UP5K logic | UP5K MHz | wasm img/s | CPU s | note |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    for t in trials:
        m = t["metrics"] or {}
        logic = _fmt(m.get("up5k_logic_cells")) + (" P&R" if m.get("up5k_logic_source") == "placed and routed" else "")
        L.append(f"| #{t['id']} | {t['proposer']} | `{_arch(t)}` | {t['status']} | {_fmt(m.get('accuracy'))} | {_fmt(m.get('up5k_cycles'))} | "
                 f"{logic} | {_fmt(m.get('up5k_fmax_mhz'))} | {_fmt(m.get('wasm_images_per_second'))} | {_fmt(t['cpu_seconds'])} | "
                 f"{html.escape((t['error'] or m.get('up5k_note') or '').splitlines()[0] if (t['error'] or m.get('up5k_note')) else '')[:120]} |")
    return "\n".join(L) + "\n", svgs


def _arch(t: Dict[str, Any]) -> str:
    a = t["arch"]
    return "784-" + "-".join(str(h) for h in a["hidden"]) + f"-10 lr {a['lr']:g}" if "hidden" in a else str(a)


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.4f}" if v < 1 else f"{v:,.1f}"
    return f"{v:,}" if isinstance(v, int) else str(v)
