#!/usr/bin/env python3
"""Checks `cargo verify trace` end to end, on a gossip node with a real bug.

The gossip exercise is given the reference's code with one change: a value sent to a
neighbour is never sent again, so what a partition swallowed stays lost. Step 3
(partitions) then fails, and `cargo verify trace gossip 3` must draw it. Chromium opens
the page: no console messages, and one arrow per delivered message (the number the
page states). A screenshot goes beside the book's, in target/book-screenshots/.
The exercise's own files are put back whatever happens.

Usage: .ci/trace-check.py   (from anywhere in the clone). Exits 1 on any problem.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXERCISE = os.path.join(ROOT, "exercises", "09-gossip", "src")
SOLUTION = os.path.join(ROOT, "solutions", "09-gossip", "src")
SHOTS = os.path.join(ROOT, "target", "book-screenshots")
CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]
RETRY = "flight.get(v).is_none_or(|sent| now.saturating_sub(*sent) >= self.retry)"


def record():
    saved = tempfile.mkdtemp()
    shutil.copytree(EXERCISE, os.path.join(saved, "src"))
    try:
        shutil.rmtree(EXERCISE)
        shutil.copytree(SOLUTION, EXERCISE)
        for rs in glob.glob(os.path.join(EXERCISE, "**", "*.rs"), recursive=True):
            with open(rs, encoding="utf-8") as f:
                code = f.read()
            with open(rs, "w", encoding="utf-8") as f:
                f.write(code.replace("gossip_solution", "gossip"))
        node = os.path.join(EXERCISE, "node.rs")
        with open(node, encoding="utf-8") as f:
            text = f.read()
        if RETRY not in text:
            sys.exit("trace check: the reference gossip node changed; update RETRY in .ci/trace-check.py")
        with open(node, "w", encoding="utf-8") as f:
            f.write(text.replace(RETRY, "!flight.contains_key(v)"))
        run = subprocess.run(["cargo", "verify", "trace", "gossip", "3"], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "NO_COLOR": "1", "VERIFY_NO_SETUP": "1"}, timeout=900)
        print(run.stdout)
        return run
    finally:
        shutil.rmtree(EXERCISE)
        shutil.copytree(os.path.join(saved, "src"), EXERCISE)
        shutil.rmtree(saved)


def main():
    problems = []
    run = record()
    if "✗ 3." not in run.stdout:
        problems.append("the broken node was not caught by step 3:\n" + run.stdout + run.stderr)
    files = re.findall(r"(target/\S+/step_3_partitions-\d+\.html)", run.stdout)
    if not files:
        problems.append("cargo verify trace named no diagram")
    os.makedirs(SHOTS, exist_ok=True)
    for rel in files:
        path = os.path.join(ROOT, rel)
        with open(path, encoding="utf-8") as f:
            page = f.read()
        delivered = int(re.search(r'data-delivered="(\d+)"', page).group(1))
        if "(the step failed here" in page:
            problems.append(f"{rel}: the failure message was not put in the diagram")
        with tempfile.TemporaryDirectory() as profile:
            dom = subprocess.run(CHROMIUM + [f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                                             "--dump-dom", "file://" + path], capture_output=True, text=True, timeout=120)
        console = [l for l in dom.stderr.splitlines() if ":CONSOLE" in l]
        problems += [f"{rel}: console: {l.split('CONSOLE', 1)[1][:200]}" for l in console]
        arrows = len(re.findall(r'<line class="msg[ "]', dom.stdout))
        if delivered <= 2000 and arrows != delivered:
            problems.append(f"{rel}: {arrows} arrows drawn for {delivered} delivered messages")
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(CHROMIUM + [f"--user-data-dir={profile}", f"--screenshot={os.path.join(SHOTS, 'trace-gossip-step-3.png')}",
                                       "--window-size=1280,1600", "file://" + path], capture_output=True, timeout=120)
        print(f"trace check: {rel}: {arrows} arrows for {delivered} delivered messages, {len(console)} console messages")
    for p in problems:
        print("  - " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
