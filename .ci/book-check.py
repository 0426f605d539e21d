#!/usr/bin/env python3
"""Checks the built book (book-html/) the way a reader meets it, in headless Chromium.

For every page of book/SUMMARY.md:
  - Chromium opens it with no console messages (no script errors, no failed loads);
  - every internal link points to a page (and anchor) that exists;
  - every image and inline diagram is there;
and the search index finds a few terms every reader will look for; then the book is
printed to book-html/p2p-handbook.pdf and the PDF checked (.ci/book_pdf.py). Screenshots
of some pages, and of PDF pages, go to target/book-screenshots/ for people to look at.

Usage: .ci/book-check.py [BOOK_HTML_DIR]   (default: book-html). Exits 1 on any problem.
"""
import html.parser
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "book-html")
SHOTS = os.path.join(ROOT, "target", "book-screenshots")
CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOT_PAGES = ["introduction.html", "identity.html", "pubsub/gossip.html", "data-structures/crdt.html"]
SEARCH_TERMS = ["Kademlia", "Ed25519", "gossip", "CRDT"]


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.images, self.ids, self.svgs = [], [], set(), 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "img" and a.get("src"):
            self.images.append(a["src"])
        if tag == "svg" and a.get("role") == "img":
            self.svgs += 1


def pages():
    with open(os.path.join(ROOT, "book", "SUMMARY.md"), encoding="utf-8") as f:
        return [p[:-3] + ".html" for p in re.findall(r"\]\(([^)]+\.md)\)", f.read())]


def parse(path):
    page = Page()
    with open(path, encoding="utf-8") as f:
        page.feed(f.read())
    return page


def console_messages(path, screenshot=None):
    with tempfile.TemporaryDirectory() as profile:
        args = CHROMIUM + [f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0"]
        if screenshot:
            args += [f"--screenshot={screenshot}", "--window-size=1280,2000"]
        else:
            args += ["--dump-dom"]
        run = subprocess.run(args + ["file://" + path], capture_output=True, text=True, timeout=60)
    return [line for line in run.stderr.splitlines() if ":CONSOLE" in line]


def main():
    problems = []
    parsed = {}
    os.makedirs(SHOTS, exist_ok=True)
    # The book as a PDF beside the online book (so the Pages workflow publishes it, and
    # the pages' links to it resolve), printed from print.html and opened again.
    import book_pdf  # .ci/book_pdf.py
    pdf, titles, _ = book_pdf.make(OUT)
    problems += book_pdf.check(pdf, titles, SHOTS)
    for rel in pages():
        path = os.path.join(OUT, rel)
        if not os.path.exists(path):
            problems.append(f"{rel}: not built")
            continue
        parsed[rel] = parse(path)
        shot = os.path.join(SHOTS, rel.replace("/", "-").replace(".html", ".png")) if rel in SCREENSHOT_PAGES else None
        for message in console_messages(path, shot):
            problems.append(f"{rel}: console: {message.split('CONSOLE', 1)[1][:200]}")
    for rel, page in parsed.items():
        base = os.path.dirname(os.path.join(OUT, rel))
        for href in page.links:
            url = urllib.parse.urlparse(href)
            if url.scheme or href.startswith("//") or href.startswith("mailto:"):
                continue
            target = os.path.normpath(os.path.join(base, urllib.parse.unquote(url.path))) if url.path else os.path.join(OUT, rel)
            if not os.path.exists(target):
                problems.append(f"{rel}: broken link {href}")
            elif url.fragment and target.endswith(".html"):
                target_rel = os.path.relpath(target, OUT)
                ids = parsed[target_rel].ids if target_rel in parsed else parse(target).ids
                if url.fragment not in ids:
                    problems.append(f"{rel}: link to a missing anchor {href}")
        for src in page.images:
            if not urllib.parse.urlparse(src).scheme and not os.path.exists(os.path.join(base, src)):
                problems.append(f"{rel}: missing image {src}")
    index = [f for f in os.listdir(OUT) if f.startswith("searchindex") and f.endswith(".js")]
    if not index:
        problems.append("no search index")
    else:
        with open(os.path.join(OUT, index[0]), encoding="utf-8") as f:
            text = f.read().lower()
        for term in SEARCH_TERMS:
            if term.lower() not in text:
                problems.append(f"the search index does not know {term!r}")
    if not os.path.exists(os.path.join(OUT, "print.html")):
        problems.append("no print page")
    diagrams = sum(p.svgs for p in parsed.values())
    print(f"book check: {len(parsed)} pages, {sum(len(p.links) for p in parsed.values())} links, "
          f"{diagrams} inline diagrams; screenshots in {os.path.relpath(SHOTS, ROOT)}")
    for p in problems:
        print("  - " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
