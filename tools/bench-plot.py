#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Plot latency vs size of vshmem-bench's sizes (or ffa) suite as an SVG.

Usage: tools/bench-plot.py BENCH.json OUT.svg

Reads the JSON that `vshmem-bench --json` (or --json-file) wrote and draws
(a) SHARE offer, (b) LEND offer, (c) copy over the socket and (d) memcpy
on log-log axes ((b') is LEND from the lend-nomap heap). Without a sizes
table it draws the ffa suite's (offers of TYPE_FFA through the real SPMC vs
copy). No plotting library needed: the SVG is written by hand.
"""
import json
import math
import sys

SERIES = [
    ("share_ns", "(a) SHARE offer", "#1f77b4", ""),
    ("lend_ns", "(b) LEND offer, lend heap", "#2ca02c", ""),
    ("lend_nomap_ns", "(b') LEND offer, lend-nomap", "#ff7f0e", ""),
    ("copy_ns", "(c) copy over vsock (send/recv)", "#d62728", ""),
    ("memcpy_ns", "(d) memcpy (copy floor)", "#7f7f7f", "6,4"),
]
FFA_SERIES = [
    ("share_ns", "SHARE offer via FF-A (system)", "#1f77b4", ""),
    ("lend_ns", "LEND offer via FF-A (lend)", "#2ca02c", ""),
    ("lend_nomap_ns", "LEND via FF-A (lend-nomap)", "#ff7f0e", ""),
    ("copy_ns", "copy over vsock (send/recv)", "#d62728", ""),
]
TITLES = {
    "sizes": "vshmem-bench: time to hand SIZE bytes to the peer (median, log-log)",
    "ffa": "vshmem-bench, real FF-A (TF-A + OP-TEE): hand SIZE bytes over (median)",
}
W, H = 760, 480
L, R, T, B = 80, 230, 40, 60   # margins


def size_label(v):
    for unit, div in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if v >= div and v % div == 0:
            return f"{v // div}{unit}"
    return str(v)


def time_label(ns):
    for unit, div in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= div:
            return f"{ns / div:g} {unit}"
    return f"{ns:g} ns"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2])
    with open(sys.argv[1]) as f:
        data = json.load(f)
    tables = data.get("tables", {})
    table, series = "sizes", SERIES
    rows = tables.get("sizes", {}).get("rows", [])
    if not rows:
        table, series = "ffa", FFA_SERIES
        rows = tables.get("ffa", {}).get("rows", [])
    if not rows:
        sys.exit(f"{sys.argv[1]}: no sizes or ffa table (run the sizes or ffa suite)")
    sizes = [r["size"] for r in rows]
    vals = [r[k] for r in rows for k, *_ in series if r.get(k)]
    x0, x1 = math.log2(min(sizes)), math.log2(max(sizes))
    if x0 == x1:
        x1 = x0 + 1
    y0 = math.floor(math.log10(min(vals)))
    y1 = math.ceil(math.log10(max(vals)))
    if y0 == y1:
        y1 = y0 + 1
    pw, ph = W - L - R, H - T - B

    def px(s):
        return L + (math.log2(s) - x0) / (x1 - x0) * pw

    def py(v):
        return T + ph - (math.log10(v) - y0) / (y1 - y0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{L + pw / 2}" y="22" text-anchor="middle" font-size="15">'
           f'{TITLES[table]}</text>']
    for e in range(y0, y1 + 1):
        y = py(10 ** e)
        out.append(f'<line x1="{L}" y1="{y:.1f}" x2="{L + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{L - 6}" y="{y + 4:.1f}" text-anchor="end">{time_label(10 ** e)}</text>')
    for s in sizes:
        x = px(s)
        out.append(f'<line x1="{x:.1f}" y1="{T}" x2="{x:.1f}" y2="{T + ph}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{T + ph + 18}" text-anchor="middle">{size_label(s)}</text>')
    out.append(f'<rect x="{L}" y="{T}" width="{pw}" height="{ph}" fill="none" stroke="black"/>')
    out.append(f'<text x="{L + pw / 2}" y="{H - 15}" text-anchor="middle">buffer size</text>')
    for i, (key, label, color, dash) in enumerate(series):
        pts = [(px(r["size"]), py(r[key])) for r in rows if r.get(key)]
        if not pts:
            continue
        d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"{extra}/>')
        for x, y in pts:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>')
        ly = T + 10 + i * 22
        out.append(f'<line x1="{L + pw + 12}" y1="{ly}" x2="{L + pw + 36}" y2="{ly}" '
                   f'stroke="{color}" stroke-width="2"{extra}/>')
        out.append(f'<text x="{L + pw + 42}" y="{ly + 4}" font-size="11">{label}</text>')
    m = data.get("machine", {})
    foot = f'{m.get("kernel", "")}, {m.get("cpus", "?")} CPU(s), {m.get("memory", "")}'
    out.append(f'<text x="{L + pw + 12}" y="{T + 10 + len(series) * 22 + 12}" font-size="10" fill="#555">{foot}</text>')
    out.append("</svg>")
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
