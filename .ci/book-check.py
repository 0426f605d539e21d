#!/usr/bin/env python3
"""Checks the built book (book-html/) the way a reader meets it, in headless Chromium.

For every page of book/SUMMARY.md:
  - Chromium opens it with no console messages (no script errors, no failed loads);
  - every internal link points to a page (and anchor) that exists;
  - every image and inline diagram is there;
and the search index finds a few terms every reader will look for; then the book is
printed to book-html/p2p-handbook.pdf and the PDF checked (.ci/book_pdf.py). Screenshots
of some pages, and of PDF pages, go to target/book-screenshots/ for people to look at.

Paper does not scroll: the document the PDF is printed from is laid out again under print
media, at the width of the PDF's page between its margins, through the DevTools protocol
(--remote-debugging-pipe), and every table, code block, image or diagram that sticks out
past the page, or sits in a box that clips it, is a problem (print_overflow below).

Usage: .ci/book-check.py [BOOK_HTML_DIR]   (default: book-html). Exits 1 on any problem.
"""
import html.parser
import json
import os
import re
import select
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


class Devtools:
    """Chromium driven over the DevTools protocol through --remote-debugging-pipe: JSON
    messages ended by a NUL byte, read by Chromium from fd 3, written by it to fd 4."""

    def __init__(self, profile, timeout=120):
        to_chromium, self.w = os.pipe()
        self.r, from_chromium = os.pipe()

        def pipes():  # in the child: its fd 3 and fd 4 are the pipes' ends
            a, b = os.dup(to_chromium), os.dup(from_chromium)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(CHROMIUM + [f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
                                     pass_fds=(3, 4), preexec_fn=pipes, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chromium)
        os.close(from_chromium)
        self.buf, self.id, self.events, self.timeout = b"", 0, [], timeout
        self.session = None

    def _recv(self):
        while b"\0" not in self.buf:
            if not select.select([self.r], [], [], self.timeout)[0]:
                raise RuntimeError(f"chromium said nothing for {self.timeout} s")
            chunk = os.read(self.r, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed its DevTools pipe")
            self.buf += chunk
        message, self.buf = self.buf.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, **params):
        self.id += 1
        message = {"id": self.id, "method": method, "params": params}
        if self.session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self.w, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._recv()
            if reply.get("id") == self.id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, event):
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == event:
                    return self.events.pop(i)
            self.events.append(self._recv())

    def close(self):
        try:
            self.call("Browser.close")
            self.proc.wait(timeout=30)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self.w)
            os.close(self.r)


# Run in the page under print media: loads every image, then lists the outermost
# elements of <main> that stick out past the page, or that clip their content (a scroll
# box prints only what it shows), with the heading they come under.
MEASURE_JS = r"""
(async () => {
  for (const img of document.querySelectorAll('img[loading="lazy"]')) img.loading = 'eager';
  await Promise.all([...document.images].map(i => i.decode().catch(() => null)));
  await document.fonts.ready;
  const main = document.querySelector('main');
  const limit = document.documentElement.clientWidth;
  const heading = el => {
    for (let e = el; e && e !== main; e = e.parentElement)
      for (let p = e.previousElementSibling; p; p = p.previousElementSibling)
        if (/^H[1-4]$/.test(p.tagName)) return p.textContent.trim();
    return '(the start of the book)';
  };
  const what = el => {
    const t = el.tagName.toLowerCase();
    if (t === 'img') return `image ${el.getAttribute('src')}`;
    if (t === 'svg') return `diagram "${(el.getAttribute('aria-label') || el.textContent).replace(/\s+/g, ' ').trim().slice(0, 40)}"`;
    const table = el.closest('table') || el.querySelector('table');
    const pre = el.closest('pre') || el.querySelector('pre');
    const img = !table && !pre && el.querySelector('img, svg');
    if (img) return what(img);
    const text = (table || pre || el).textContent.replace(/\s+/g, ' ').trim().slice(0, 50);
    return `${table ? 'table' : pre ? 'code block' : `<${t}>`} "${text}"`;
  };
  const found = [], reported = new Set();
  for (const el of main.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    let a = el.parentElement;
    while (a && a !== main && !reported.has(a)) a = a.parentElement;
    if (a && a !== main) continue;
    const cs = getComputedStyle(el);
    let how = null;
    if (r.right > limit + 0.5) how = `sticks out ${Math.round(r.right - limit)} px past the right edge of the page`;
    else if (cs.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1)
      how = `is ${el.scrollWidth - el.clientWidth} px wider than its box (overflow-x: ${cs.overflowX}), which cuts it off`;
    else if (cs.overflowY !== 'visible' && el.scrollHeight > el.clientHeight + 1)
      how = `is ${el.scrollHeight - el.clientHeight} px taller than its box (overflow-y: ${cs.overflowY}), which cuts it off`;
    if (how) { reported.add(el); found.push({what: what(el), how, under: heading(el)}); }
  }
  return {
    print: matchMedia('print').matches, width: limit,
    tables: main.querySelectorAll('table').length, pres: main.querySelectorAll('pre').length,
    figures: main.querySelectorAll('img, svg').length, found,
  };
})()
"""


def page_width_px(print_css):
    """The width between the left and right margins of the PDF's page, in CSS px, from
    book_pdf's @page rule (A4, margin: top right bottom left)."""
    page = re.search(r"@page\s*\{[^@}]*size:\s*A4;[^@}]*margin:\s*([\d.]+)mm\s+([\d.]+)mm\s+([\d.]+)mm\s+([\d.]+)mm", print_css)
    if not page:
        raise RuntimeError("book_pdf.PRINT_CSS has no '@page { size: A4; margin: T R B L (in mm) }' to read the page width from")
    return int((210 - float(page.group(2)) - float(page.group(4))) * 96 / 25.4)


def print_overflow(out_dir, book_pdf):
    """What would be cut off on paper: print.html, as book_pdf prints it (its print CSS,
    no print dialog), laid out under print media in a window as wide as the page between
    its margins."""
    width = page_width_px(book_pdf.PRINT_CSS)
    with open(os.path.join(out_dir, "print.html"), encoding="utf-8") as f:
        doc = f.read().replace("window.setTimeout(window.print, 100);", "")
    doc = doc.replace("</head>", f"<style>{book_pdf.PRINT_CSS}</style></head>", 1)
    page = os.path.join(out_dir, "print-width-check.html")  # beside print.html, for its relative links
    with open(page, "w", encoding="utf-8") as f:
        f.write(doc)
    try:
        with tempfile.TemporaryDirectory() as profile:
            chromium = Devtools(profile)  # a RuntimeError below is reported as a problem
            try:
                target = chromium.call("Target.createTarget", url="about:blank")["targetId"]
                chromium.session = chromium.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
                chromium.call("Page.enable")
                chromium.call("Emulation.setDeviceMetricsOverride", width=width, height=1000, deviceScaleFactor=1, mobile=False)
                chromium.call("Emulation.setScrollbarsHidden", hidden=True)
                chromium.call("Emulation.setEmulatedMedia", media="print")
                chromium.call("Page.navigate", url="file://" + page)
                chromium.wait_for("Page.loadEventFired")
                result = chromium.call("Runtime.evaluate", expression=MEASURE_JS, awaitPromise=True, returnByValue=True)
            finally:
                chromium.close()
    except RuntimeError as e:
        return [f"print layout: could not lay the print page out in Chromium: {e}"]
    finally:
        os.remove(page)
    if "exceptionDetails" in result:
        return [f"print layout: the measuring script failed: {result['exceptionDetails'].get('text')}"]
    m = result["result"]["value"]
    problems = []
    if not m["print"] or m["width"] != width:
        problems.append(f"print layout: the page was not laid out as printed (print media {m['print']}, "
                        f"width {m['width']} px, wanted {width} px)")
    if not (m["tables"] and m["pres"] and m["figures"]):
        problems.append(f"print layout: measured {m['tables']} tables, {m['pres']} code blocks and "
                        f"{m['figures']} figures: the print page lacks what the book has")
    for f in m["found"]:
        problems.append(f"in print, the {f['what']} under \"{f['under']}\" {f['how']}: on paper "
                        f"that part is lost. Fit it to the page in the @media print block of "
                        f"book/theme/handbook.css, or make it narrower (split a table, shorten a line)")
    print(f"print layout: {m['tables']} tables, {m['pres']} code blocks, {m['figures']} figures laid out "
          f"{width} px wide (A4 between the PDF's margins) under print media; {len(m['found'])} cut off")
    return problems


def main():
    problems = []
    parsed = {}
    os.makedirs(SHOTS, exist_ok=True)
    # The book as a PDF beside the online book (so the Pages workflow publishes it, and
    # the pages' links to it resolve), printed from print.html and opened again.
    import book_pdf  # .ci/book_pdf.py
    pdf, titles, _ = book_pdf.make(OUT)
    problems += book_pdf.check(pdf, titles, SHOTS)
    problems += print_overflow(OUT, book_pdf)
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
