#!/usr/bin/env python3
"""The book as a PDF: mdBook's print page, printed by headless Chromium, then checked.

make(): copies book-html/print.html with a cover, a table of contents and print CSS
(A4, page numbers in the footer through CSS @page margin boxes, chapters on new pages)
and prints it with Chromium's --print-to-pdf into book-html/p2p-handbook.pdf, beside the
online book, so the Pages workflow publishes it. The table of contents carries page
numbers: a first print finds the page each chapter starts on (pdftotext), a second
print writes them in. Chromium also writes the PDF's outline (bookmarks).

check(): opens the PDF with poppler (pdfinfo, pdftotext, pdftoppm): it has pages, the
table of contents, every chapter, and the first page and a page with a diagram render
to PNG (under target/book-screenshots/) with ink on them.

Usage: .ci/book_pdf.py [BOOK_HTML_DIR]   (default: book-html). Exits 1 on any problem.
"""
import html
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PDF_NAME = "p2p-handbook.pdf"
CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]

PRINT_CSS = """
@page {
  size: A4;
  margin: 18mm 16mm 20mm 16mm;
  @top-center { content: "The P2P Handbook"; font: 8pt sans-serif; color: #777; }
  @bottom-center { content: counter(page) " / " counter(pages); font: 9pt sans-serif; color: #444; }
}
@page :first { @top-center { content: none; } @bottom-center { content: none; } }
html, body { background: #fff !important; color: #000 !important; }
.pdf-cover { break-after: page; text-align: center; padding-top: 30vh; }
.pdf-cover h1 { font-size: 2.6em; margin-bottom: .3em; }
.pdf-cover p { font-size: 1.1em; color: #333; }
.pdf-toc { break-after: page; }
.pdf-toc h2 { margin-top: 0; }
.pdf-toc ol { list-style: none; padding-left: 0; margin: 0; }
.pdf-toc li { display: flex; align-items: baseline; margin: .18em 0; }
.pdf-toc li.part { font-weight: bold; margin-top: .8em; }
.pdf-toc li.sub { padding-left: 1.5em; }
.pdf-toc li a { color: #000; text-decoration: none; }
.pdf-toc li .dots { flex: 1; border-bottom: 1px dotted #999; margin: 0 .4em; }
.pdf-toc li .page { font-variant-numeric: tabular-nums; }
main h1 { break-before: page; }
.pdf-cover h1 { break-before: avoid; }
pre, svg, table, figure { break-inside: avoid; }
main svg { max-width: 100%; height: auto; }
"""


def summary():
    """SUMMARY.md as (kind, title, depth) in book order: kind is 'part' or 'chapter'."""
    entries = []
    with open(os.path.join(ROOT, "book", "SUMMARY.md"), encoding="utf-8") as f:
        for line in f:
            part = re.match(r"^# (.+)$", line)
            chapter = re.match(r"^(\s*)(?:- )?\[([^\]]+)\]\(([^)]+\.md)\)", line)
            if part and not line.startswith("# Summary"):
                entries.append(("part", part.group(1).strip(), 0))
            elif chapter:
                entries.append(("chapter", chapter.group(2), len(chapter.group(1)) // 2))
    return entries


def chapter_anchors(print_html):
    """The id and text of every chapter's first heading, in order. mdBook's print page
    puts each chapter after a page-break div; the first h1 (or, for a chapter without
    one, h2) after it is the chapter's title."""
    body = print_html[print_html.find("<main>"):]
    segments = re.split(r'<div style="break-before: page; page-break-before: always;"></div>', body)
    anchors = []
    for segment in segments:
        m = re.search(r'<h[12] id="([^"]+)"><a class="header" href="#[^"]+">(.*?)</a></h[12]>', segment, re.S)
        if m:
            anchors.append((m.group(1), html.unescape(re.sub(r"<[^>]+>", "", m.group(2))).strip()))
    return anchors


def toc_html(entries, anchors, pages):
    chapters = [e for e in entries if e[0] == "chapter"]
    by_title = {}
    for (kind, title, depth), anchor in zip(chapters, anchors):
        by_title[title] = anchor
    items = []
    for kind, title, depth in entries:
        if kind == "part":
            items.append(f'<li class="part">{html.escape(title)}</li>')
            continue
        anchor = by_title.get(title)
        href = f"#{anchor[0]}" if anchor else "#"
        page = pages.get(title, "000")
        cls = ' class="sub"' if depth else ""
        items.append(f'<li{cls}><a href="{href}">{html.escape(title)}</a><span class="dots"></span>'
                     f'<span class="page">{page}</span></li>')
    return ('<nav class="pdf-toc"><h2>Contents</h2><ol>' + "".join(items) + "</ol></nav>")


def cover_html():
    return ('<section class="pdf-cover"><h1>The P2P Handbook</h1>'
            "<p>Peer-to-peer networking in Rust, learned by building it.</p>"
            "<p>Identity, discovery, topology, streams, gossip, logs, Merkle DAGs and CRDTs, "
            "and a room chat with no server.</p></section>")


def print_pdf(source_html, out_dir, pdf):
    """Writes source_html next to print.html (so its relative links work), prints it."""
    page = os.path.join(out_dir, "print-pdf.html")
    with open(page, "w", encoding="utf-8") as f:
        f.write(source_html)
    try:
        with tempfile.TemporaryDirectory() as profile:
            run = subprocess.run(CHROMIUM + [f"--user-data-dir={profile}", "--no-pdf-header-footer",
                                             "--generate-pdf-document-outline", "--virtual-time-budget=20000",
                                             f"--print-to-pdf={pdf}", "file://" + page],
                                 capture_output=True, text=True, timeout=600)
        if run.returncode != 0 or not os.path.exists(pdf):
            raise RuntimeError(f"chromium could not print the book: {run.stderr[-2000:]}")
    finally:
        os.remove(page)


def page_texts(pdf):
    text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")


def squash(text):
    return re.sub(r"\s+", " ", text).strip()


def chapter_pages(pdf, titles):
    """The page (1-based) each chapter starts on: after the table of contents, the first
    page whose first lines hold the title, in book order."""
    pages = page_texts(pdf)
    last = titles[-1]
    start = next((i + 1 for i, p in enumerate(pages) if last in squash(p)), 0)
    found = {}
    for title in titles:
        for i in range(start, len(pages)):
            head = squash(" ".join([l for l in pages[i].splitlines() if l.strip()][:6]))
            if squash(title) in head:
                found[title] = i + 1
                start = i
                break
    return found


def make(out_dir):
    with open(os.path.join(out_dir, "print.html"), encoding="utf-8") as f:
        original = f.read()
    # The print page prints itself on load; the PDF is printed by Chromium instead.
    original = original.replace("window.setTimeout(window.print, 100);", "")
    entries = summary()
    anchors = chapter_anchors(original)
    titles = [t for k, t, _ in entries if k == "chapter"]

    def build(pages):
        doc = original.replace("</head>", f"<style>{PRINT_CSS}</style></head>", 1)
        return doc.replace("<main>", "<main>" + cover_html() + toc_html(entries, anchors, pages), 1)

    pdf = os.path.join(out_dir, PDF_NAME)
    print_pdf(build({}), out_dir, pdf)
    pages = chapter_pages(pdf, titles)
    print_pdf(build(pages), out_dir, pdf)
    return pdf, titles, len(anchors)


def ink(pgm):
    """The share of dark pixels in a binary PGM (P5) image."""
    with open(pgm, "rb") as f:
        data = f.read()
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    w, h = int(header.group(1)), int(header.group(2))
    pixels = data[header.end():header.end() + w * h]
    return sum(1 for p in pixels if p < 160) / max(1, len(pixels))


def render(pdf, page, out_png, shots):
    """Renders one page to PNG (for people) and grey PGM (to measure): its ink share."""
    base = os.path.join(shots, out_png)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(page), "-l", str(page), "-singlefile", pdf, base], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        grey = os.path.join(tmp, "page")
        subprocess.run(["pdftoppm", "-gray", "-r", "40", "-f", str(page), "-l", str(page), "-singlefile", pdf, grey], check=True)
        return ink(grey + ".pgm")


def diagram_label():
    """A text label from the first diagram the identity chapter includes, to find a page
    with a diagram on it."""
    with open(os.path.join(ROOT, "book", "identity.md"), encoding="utf-8") as f:
        svg = re.search(r"\{\{#include (images/[^}]+\.svg)\}\}", f.read()).group(1)
    with open(os.path.join(ROOT, "book", svg), encoding="utf-8") as f:
        labels = [html.unescape(re.sub(r"<[^>]+>", "", t)).strip() for t in re.findall(r"<text[^>]*>(.*?)</text>", f.read(), re.S)]
    return svg, max((l for l in labels if l), key=len)


def check(pdf, titles, shots):
    problems = []
    if not os.path.exists(pdf):
        return [f"no PDF at {pdf}"]
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
    count = int(re.search(r"Pages:\s+(\d+)", info).group(1)) if "Pages:" in info else 0
    size = os.path.getsize(pdf)
    texts = page_texts(pdf)
    if count < len(titles):
        problems.append(f"the PDF has {count} pages, fewer than the {len(titles)} chapters")
    if "Contents" not in squash(" ".join(texts[:3])):
        problems.append("the PDF has no table of contents near its start")
    pages = chapter_pages(pdf, titles)
    missing = [t for t in titles if t not in pages]
    if missing:
        problems.append(f"chapters not found in the PDF: {missing}")
    toc = squash(" ".join(texts[1:4]))
    if pages.get("Identity") and f"Identity {pages['Identity']}" not in toc:
        problems.append(f"the table of contents does not say Identity starts on page {pages['Identity']}")
    if texts and not re.search(rf"\b2 / {count}\b", texts[1] if len(texts) > 1 else ""):
        problems.append("page 2 has no page number in its footer")
    os.makedirs(shots, exist_ok=True)
    first = render(pdf, 1, "pdf-page-1", shots)
    if first < 0.002:
        problems.append(f"the first page is blank (ink {first:.4f})")
    svg, label = diagram_label()
    start = pages.get("Identity", 1)
    diagram_page = next((i + 1 for i in range(start - 1, len(texts)) if squash(label) in squash(texts[i])), None)
    if not diagram_page:
        problems.append(f"no page shows the diagram {svg} (label {label!r})")
    else:
        ink_share = render(pdf, diagram_page, "pdf-diagram-page", shots)
        if ink_share < 0.01:
            problems.append(f"page {diagram_page} with {svg} is nearly blank (ink {ink_share:.4f})")
    print(f"book PDF: {os.path.relpath(pdf, ROOT)}, {count} pages, {size / 1e6:.1f} MB; "
          f"first page and page {diagram_page} ({svg}) rendered to {os.path.relpath(shots, ROOT)}")
    return problems


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "book-html")
    pdf, titles, _ = make(out)
    problems = check(pdf, titles, os.path.join(ROOT, "target", "book-screenshots"))
    for p in problems:
        print("  - " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
