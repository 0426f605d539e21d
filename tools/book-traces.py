#!/usr/bin/env python3
"""Makes the book's space-time diagrams from runs of the reference solutions.

For each (exercise, step, image) below it runs `cargo verify --solutions trace EXERCISE
STEP`, opens the first diagram the run wrote in headless Chromium, takes the <svg> the
page's script drew out of the rendered DOM, gives it the page's styles (so it stands
alone), and writes it to book/images/IMAGE. The pictures are then committed like every
other diagram; run this again when a reference solution changes what it sends.

Usage: tools/book-traces.py   (needs chromium; from anywhere in the clone)
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = [
    ("gossip", "3", "trace-gossip-partition.svg", None),
    ("anti-entropy", "5", "trace-anti-entropy.svg", None),
    ("chat", "3", "trace-chat-room.svg", 420),
]
CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]
# The page's colours on a light card of its own: the book shows these as images
# (<img>, so a large run does not weigh on the page), which inherit no theme colour.
STYLE = """
svg.trace { background: #fff; color: #222; }
text { font: 11px sans-serif; fill: #222; }
.lane { stroke: currentColor; stroke-opacity: .35; stroke-width: 1; }
.node-name { font-weight: 600; font-size: 12px; }
.msg { stroke: #3b7dd8; stroke-width: 1.2; }
.msg.client { stroke: currentColor; stroke-opacity: .45; }
.drop { stroke: #d0453a; stroke-width: 1.2; stroke-dasharray: 4 3; }
.cross { stroke: #d0453a; stroke-width: 2; }
.timer { stroke: #3a9a4a; stroke-width: 1.5; stroke-opacity: .6; }
.note line { stroke: #c77d00; stroke-dasharray: 6 4; }
.note text { fill: #c77d00; }
.violation line { stroke: #d0453a; stroke-width: 2; }
.violation text { fill: #d0453a; font-weight: 600; }
.msg-label { font-size: 10px; fill: #3b7dd8; }
.time { fill: currentColor; fill-opacity: .6; font-size: 10px; }
"""


def cut_below(svg, height):
    """Keeps the first `height` pixels of a long run: a page shows the start of the
    story, and `cargo verify trace` the whole of it."""
    def keep(m):
        ys = [float(v) for v in re.findall(r'\by[12]?="(-?[0-9.]+)"', m.group(0))]
        return m.group(0) if not ys or min(ys) <= height else ""
    body = re.sub(r"<(line|text|path)\b[^>]*?(?:/>|>.*?</\1>)", keep, svg, flags=re.S)
    body = re.sub(r"<g class=\"(note|violation)\">.*?</g>", keep, body, flags=re.S)
    body = re.sub(r'height="[0-9.]+"', f'height="{height + 20}"', body, count=1)
    return re.sub(r'viewBox="0 0 ([0-9.]+) [0-9.]+"', lambda m: f'viewBox="0 0 {m.group(1)} {height + 20}"', body, count=1)


def main():
    for exercise, step, image, cut in RUNS:
        run = subprocess.run(["cargo", "verify", "--solutions", "trace", exercise, step], cwd=ROOT,
                             capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1", "VERIFY_NO_SETUP": "1"})
        files = re.findall(r"(target/\S+\.html)", run.stdout)
        if not files:
            sys.exit(f"{exercise} step {step} drew nothing:\n{run.stdout}{run.stderr}")
        with tempfile.TemporaryDirectory() as profile:
            dom = subprocess.run(CHROMIUM + [f"--user-data-dir={profile}", "--dump-dom", "file://" + os.path.join(ROOT, files[0])],
                                 capture_output=True, text=True, timeout=120).stdout
        svg = re.search(r"<svg.*?</svg>", dom, re.S).group(0)
        if cut:
            svg = cut_below(svg, cut)
        svg = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" class="trace" ', 1)
        svg = re.sub(r"(<svg[^>]*>)", lambda m: m.group(1) + f"<style>{STYLE}</style>", svg, count=1)
        # The arrowheads' fill, like the arrows.
        svg = svg.replace('fill="#1f5fbf"', 'fill="#3b7dd8"')
        svg = re.sub(r"(<style>.*?</style>)", lambda m: m.group(1) + '<rect width="100%" height="100%" fill="#fff"/>', svg, count=1, flags=re.S)
        with open(os.path.join(ROOT, "book", "images", image), "w", encoding="utf-8") as f:
            f.write(svg + "\n")
        print(f"book/images/{image}: {exercise} step {step}, {len(svg) // 1024} KiB")


if __name__ == "__main__":
    main()
