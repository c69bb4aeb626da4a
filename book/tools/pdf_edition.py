"""The book as one PDF, printed from the built HTML book by headless Chromium (no TeX, nothing online).

Each page of the table of contents (_toc.yml: the front matter, the chapters, the back matter) is served
from the build on 127.0.0.1, opened in Chromium in light mode, made ready for print (MathJax typeset,
every image loaded, explorers reduced to their default frame with a note on where to use them live,
solutions moved to a closing appendix) and printed with its own outline of headings.  The "Solutions"
appendix is printed first and numbered on its own (S1, S2, ...), so each chapter's pointer to a solution
gives its page.  pypdf then joins a title page, a contents list with page numbers, the pages and the
appendix, numbers the pages in the footer, builds the bookmarks and sets the metadata.  Each page's
print is bounded (PAGE_TIMEOUT_MS).

    python book/tools/pdf_edition.py _build/html -o _build/html/nnkernel-book.pdf
"""
import argparse
import contextlib
import functools
import html as htmlmod
import http.server
import io
import shutil
import signal
import sys
import threading
import time
from datetime import date
from pathlib import Path

import yaml
from bs4 import BeautifulSoup
from pypdf import PdfReader, PdfWriter

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from benchmarks.live import CHROMIUM_ARGS

PRINT_CSS = Path(__file__).with_name("pdf_print.css")
LOCAL = ("data:", "blob:", "http://127.0.0.1", "about:")
#: the printed page: A4, with room at the foot for the running footer drawn afterwards
MARGIN = {"top": "16mm", "bottom": "20mm", "left": "18mm", "right": "18mm"}
PAGE_TIMEOUT_MS = 180_000
#: no page's whole print (load, MathJax, images, PDF) may take longer than this
PAGE_LIMIT_S = 600
SOLUTIONS_TITLE = "Solutions"
#: the Solutions appendix is printed first and numbered on its own (S1, S2, ...), so each chapter's pointer
#: to a solution can give its page
APPENDIX_PREFIX = "S"

READY = """async () => {
  const atMost = (promise, ms) => Promise.race([promise, new Promise(done => setTimeout(done, ms))]);
  // light mode whatever the reader's system prefers: the explorers' frames have a dark variant too
  document.documentElement.dataset.mode = "light";
  document.documentElement.dataset.theme = "light";
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await atMost(MathJax.startup.promise, 120000);
  }
  document.querySelectorAll("img").forEach(img => { img.loading = "eager"; img.decoding = "sync"; });
  await atMost(Promise.all([...document.images].map(img => img.complete ? null :
      new Promise(done => { img.onload = img.onerror = done; }))), 120000);
  await atMost(document.fonts.ready, 30000);
  return [...document.images].filter(img => !img.naturalWidth && img.getAttribute("src")).length;
}"""

#: Removes every solution from the page (replaced by a pointer to the appendix) and puts the note on where
#: to use each explorer live under its default frame.  Returns how many of each it changed.
PREPARE = """([title, page, notebook, solutionPages]) => {
  let solutions = 0, explorers = 0;
  document.querySelectorAll("div.solution").forEach(sol => {
    const at = solutionPages[solutions] ? ", p.\u00a0" + solutionPages[solutions] : "";
    const t = sol.querySelector(".admonition-title");
    const label = t ? t.textContent.replace(/^\\s*Solution to\\s*/, "").trim() : "";
    const p = document.createElement("p");
    p.className = "nnk-print-solution-pointer";
    p.textContent = "Solution to " + label + ": in the appendix \u201cSolutions\u201d, under \u201c"
        + title + "\u201d" + at + ".";
    sol.replaceWith(p);
    solutions++;
  });
  document.querySelectorAll(".nnk-player").forEach(player => {
    const p = document.createElement("p");
    p.className = "nnk-print-explorer-note";
    p.textContent = "Explorer \u201c" + player.dataset.nnkPlayer + "\u201d, shown at its default setting. "
        + "Interactive in the online book (" + page + ") or live in the chapter notebook ("
        + notebook + ").";
    player.after(p);
    explorers++;
  });
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  return [solutions, explorers];
}"""

TYPESET = """async () => {
  if (!(window.MathJax && MathJax.typesetPromise)) return -1;
  MathJax.typesetClear();
  await MathJax.typesetPromise();
  return document.querySelectorAll("mjx-merror, .MathJax_Error").length;
}"""


def toc_pages(html_dir):
    """The book's pages in reading order: (part caption, docname) from _toc.yml."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [(None, toc["root"])]
    for part in toc.get("parts", []):
        pages += [(part.get("caption"), ch["file"]) for ch in part.get("chapters", [])]
    missing = [doc for _, doc in pages if not (html_dir / f"{doc}.html").exists()]
    if missing:
        raise SystemExit(f"not in the build {html_dir}: {missing} (run `make book` first)")
    return pages


def headings(path):
    """A page's title (its article's h1) and its sections' titles (the h2s)."""
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article") or soup
    for a in article.select("a.headerlink"):
        a.decompose()
    h1 = article.find("h1")
    return (h1.get_text(" ", strip=True),
            [" ".join(h2.get_text(" ", strip=True).split()) for h2 in article.find_all("h2")])


def solutions_of(path):
    """The solutions of one page, each (label, HTML of its body), as the build wrote them (TeX unrendered,
    so the appendix page typesets them itself)."""
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    out = []
    for sol in soup.select("div.solution"):
        title = sol.select_one(".admonition-title")
        label = title.get_text(" ", strip=True).replace("Solution to", "").strip() if title else ""
        if title:
            title.decompose()
        body = sol.select_one("section") or sol
        out.append((label, body.decode_contents()))
    return out


class Server:
    """The build served read-only on 127.0.0.1 while the pages print."""

    def __init__(self, directory):
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

        handler = functools.partial(Quiet, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _route(route):
    if route.request.url.startswith(LOCAL):
        route.continue_()
    else:
        route.abort()


def _open(context, url):
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.route("**/*", _route)
    page.goto(url, wait_until="load")
    return page


#: Scales down each figure, table, formula or code block still wider than the printed column (a wide
#: table of formulas, a figure drawn for a wide screen) so nothing is cut at the page's edge; measured in
#: the print layout at the column's width.  Returns how many it scaled.
FIT = """() => {
  const article = document.querySelector("article.bd-article") || document.body;
  const W = article.clientWidth;
  let n = 0;
  const wide = e => {
    const inner = e.matches("mjx-container") ? e.firstElementChild : e;
    return Math.max(inner ? inner.getBoundingClientRect().width : 0, e.scrollWidth);
  };
  const selector = ".nnk-player, table, mjx-container[display='true'], div.highlight, img, .output pre";
  for (const e of article.querySelectorAll(selector)) {
    if (e.closest("[data-nnk-fit]")) continue;
    const w = wide(e);
    if (w > W + 1) {
      e.style.zoom = Math.max(0.4, (W - 2) / w).toFixed(3);
      e.dataset.nnkFit = "";
      n++;
    }
  }
  return n;
}"""
#: the printed column's width in CSS pixels (A4 less the side margins, at 96 px to the inch)
COLUMN_PX = round((210 - 36) / 25.4 * 96)


def _print(page):
    page.add_style_tag(content=PRINT_CSS.read_text())
    page.set_viewport_size({"width": COLUMN_PX, "height": 1000})
    page.emulate_media(media="print")
    unloaded = page.evaluate(READY)
    if unloaded:
        print(f"  warning: {unloaded} image(s) did not load on {page.url}", file=sys.stderr)
    page.evaluate(FIT)
    return page.pdf(format="A4", margin=MARGIN, print_background=True, outline=True, tagged=True,
                    prefer_css_page_size=False)


@contextlib.contextmanager
def _bounded(what, seconds=PAGE_LIMIT_S):
    """Raises TimeoutError if the block runs longer than ``seconds`` (SIGALRM; the main thread only)."""
    def expire(signum, frame):
        raise TimeoutError(f"printing {what} took over {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def print_page(context, base, doc, title, solution_pages=()):
    with _bounded(doc):
        return _print_page(context, base, doc, title, solution_pages)


def _print_page(context, base, doc, title, solution_pages):
    page = _open(context, f"{base}/{doc}.html")
    try:
        page.evaluate(READY)
        counts = page.evaluate(PREPARE, [title, f"{doc}.html", f"{doc}.ipynb", list(solution_pages)])
        return _print(page), counts
    finally:
        page.close()


def print_solutions(context, base, host_doc, chapters):
    with _bounded("the solutions"):
        return _print_solutions(context, base, host_doc, chapters)


def _print_solutions(context, base, host_doc, chapters):
    """The closing appendix: every chapter's solutions, grouped by chapter, typeset on one of the book's
    own pages that loads MathJax (its style sheets and MathJax) whose article is replaced by them."""
    parts = [f"<h1 id='solutions'>{SOLUTIONS_TITLE}</h1>",
             "<p>The solutions to the exercises of every chapter, in the chapters' order.</p>"]
    for title, sols in chapters:
        parts.append(f"<section><h2>{htmlmod.escape(title)}</h2>")
        for label, body in sols:
            parts.append(f"<div class='nnk-print-solution'><h3>{htmlmod.escape(label)}</h3>{body}</div>")
        parts.append("</section>")
    page = _open(context, f"{base}/{host_doc}.html")
    try:
        page.evaluate(READY)
        page.evaluate("""(markup) => { const art = document.querySelector("article.bd-article");
            art.innerHTML = markup; document.title = "Solutions"; }""", "\n".join(parts))
        errors = page.evaluate(TYPESET)
        if errors < 0:
            raise RuntimeError(f"{host_doc}.html does not load MathJax: the solutions cannot be typeset")
        if errors:
            print(f"  warning: {errors} MathJax error(s) in the solutions", file=sys.stderr)
        return _print(page)
    finally:
        page.close()


FRONT_CSS = """
@page { size: A4; margin: 25mm 22mm; }
body { font-family: "DejaVu Serif", serif; font-size: 11pt; color: #000; }
.title { break-after: page; text-align: center; padding-top: 60mm; }
.title h1 { font-size: 26pt; font-weight: normal; margin-bottom: 12mm; }
.title p { font-size: 13pt; margin: 3mm 0; }
h2 { font-size: 16pt; font-weight: normal; }
.toc { width: 100%; border-collapse: collapse; }
.toc td { padding: 1.2mm 0; vertical-align: bottom; }
.toc td.n { text-align: right; width: 12mm; }
.toc tr.part td { font-weight: bold; padding-top: 4mm; }
.toc tr.ch td.t { padding-left: 4mm; }
.toc tr.sec td { font-size: 9.5pt; padding: 0.4mm 0; }
.toc tr.sec td.t { padding-left: 10mm; }
"""


def front_matter(context, meta, entries):
    """Title page and contents list: entries are (kind, text, page) with kind part, ch or sec."""
    rows = []
    for kind, text, number in entries:
        n = "" if number is None else str(number)
        rows.append(f"<tr class='{kind}'><td class='t'>{htmlmod.escape(text)}</td><td class='n'>{n}</td></tr>")
    markup = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{htmlmod.escape(meta['title'])}
    </title><style>{FRONT_CSS}</style></head><body>
    <div class="title"><h1>{htmlmod.escape(meta['title'])}</h1><p>{htmlmod.escape(meta['author'])}</p>
    <p>PDF edition, printed from the HTML book on {date.today().isoformat()}</p>
    <p>&copy; {htmlmod.escape(str(meta.get('copyright', '')))}</p></div>
    <h2>Contents</h2><table class="toc">{''.join(rows)}</table></body></html>"""
    page = context.new_page()
    try:
        page.route("**/*", _route)
        page.set_content(markup)
        return page.pdf(format="A4", prefer_css_page_size=True)
    finally:
        page.close()


FOOT_CSS = """@page { size: A4; margin: 0; } body { margin: 0; font: 8.5pt "DejaVu Sans", sans-serif; color: #444; }
.p { height: 297mm; position: relative; break-after: page; overflow: hidden; }
.f { position: absolute; bottom: 9mm; left: 18mm; right: 18mm; display: flex; justify-content: space-between;
     border-top: 0.4pt solid #999; padding-top: 1.5mm; }"""


def footers(context, labels):
    """One page per body page, blank but for its footer (running title, page number), to stamp on it."""
    pages = "".join(f"<div class='p'><div class='f'><span>{htmlmod.escape(running)}</span>"
                    f"<span>{htmlmod.escape(number)}</span></div></div>" for running, number in labels)
    page = context.new_page()
    try:
        page.set_content(f"<!doctype html><html><head><style>{FOOT_CSS}</style></head><body>{pages}</body></html>")
        return page.pdf(format="A4", prefer_css_page_size=True)
    finally:
        page.close()


def _outline_marks(reader, level):
    """(title without spaces, page index) of each entry at ``level`` (0 the top) of the PDF's outline."""
    marks = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            elif depth == level:
                marks.append(("".join(str(item.title).split()), reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return marks


def _outline(reader, sections):
    """(title, page index) of each section of a printed page: the titles as the page writes them
    (``sections``), the page indices from Chromium's outline of the PDF.  Chromium's titles lose a space
    and repeat text where a heading wraps, so a title is matched, in order, on its letters up to where a
    first line surely wraps."""
    marks = _outline_marks(reader, 1)
    out, k = [], 0
    for title in sections:
        key = "".join(title.split())[:12]
        j = next((j for j in range(k, len(marks)) if marks[j][0].startswith(key)), None)
        if j is not None and marks[j][1] is not None:
            out.append((title, marks[j][1]))
            k = j + 1
    return out


def _solution_pages(reader, solutions):
    """The page label (S1, S2, ...) of each solution in the printed appendix, per chapter, from its
    outline's third level (each solution's heading, in order)."""
    marks = _outline_marks(reader, 2)
    out, k = [], 0
    for _, _, sols in solutions:
        found = []
        for label, _ in sols:
            key = "".join(label.split())
            j = next((j for j in range(k, len(marks)) if marks[j][0].startswith(key)
                      and not marks[j][0][len(key):len(key) + 1].isdigit()), None)
            if j is None or marks[j][1] is None:
                found.append(None)
            else:
                found.append(f"{APPENDIX_PREFIX}{marks[j][1] + 1}")
                k = j + 1
        out.append(found)
    return out


def build(html_dir, output, meta=None, only=None):
    from playwright.sync_api import sync_playwright

    html_dir = Path(html_dir).resolve()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    meta = meta or {"title": config.get("title", ""), "author": config.get("author", ""),
                    "copyright": config.get("copyright", "")}
    started = time.perf_counter()
    pages = [pd for pd in toc_pages(html_dir) if not only or pd[1] in only]
    server = Server(html_dir)
    body = []  # (part, title, reader, outline)
    try:
        with sync_playwright() as p:
            chromium = shutil.which("chromium") or shutil.which("chromium-browser")
            if not chromium:
                raise SystemExit("Chromium is not installed (run `make browser-setup`)")
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = browser.new_context(color_scheme="light", viewport={"width": 1100, "height": 1400})
            context.add_init_script("try { localStorage.setItem('mode', 'light');"
                                    " localStorage.setItem('theme', 'light'); } catch (e) {}")
            found = {doc: headings(html_dir / f"{doc}.html") for _, doc in pages}
            solutions = [(doc, found[doc][0], sols) for _, doc in pages
                         if (sols := solutions_of(html_dir / f"{doc}.html"))]
            appendix, pointers = None, {}
            if solutions:
                host = next(doc for _, doc in reversed(pages)
                            if "mathjax/startup.js" in (html_dir / f"{doc}.html").read_text(encoding="utf-8"))
                pdf = print_solutions(context, server.url, host, [(t, sols) for _, t, sols in solutions])
                reader = PdfReader(io.BytesIO(pdf))
                appendix = ("Appendix", SOLUTIONS_TITLE, reader,
                            _outline(reader, [title for _, title, _ in solutions]))
                pointers = dict(zip((doc for doc, _, _ in solutions), _solution_pages(reader, solutions)))
                print(f"  solutions: {len(reader.pages)} pages", flush=True)
            for part, doc in pages:
                t0 = time.perf_counter()
                title, sections = found[doc]
                pdf, (n_sol, n_exp) = print_page(context, server.url, doc, title, pointers.get(doc, ()))
                reader = PdfReader(io.BytesIO(pdf))
                body.append((part, title, reader, _outline(reader, sections)))
                print(f"  {doc}: {len(reader.pages)} pages, {n_exp} explorer(s), {n_sol} solution(s), "
                      f"{time.perf_counter() - t0:.1f} s", flush=True)
            if appendix:
                body.append(appendix)

            # page numbers: the body starts at 1 after the title page and the contents; the appendix
            # of solutions is numbered S1, S2, ...
            entries, labels, first = [], [], 1
            starts = []
            last_part = object()
            for part, title, reader, outline in body:
                if part != last_part and part:
                    entries.append(("part", part, None))
                last_part = part
                starts.append(len(labels) + 1)
                if title == SOLUTIONS_TITLE and appendix and reader is appendix[2]:
                    number = [f"{APPENDIX_PREFIX}{i + 1}" for i in range(len(reader.pages))]
                else:
                    number = [str(first + i) for i in range(len(reader.pages))]
                    first += len(reader.pages)
                entries.append(("ch", title, number[0]))
                entries += [("sec", text, number[index]) for text, index in outline]
                labels += [(title, n) for n in number]
            front = PdfReader(io.BytesIO(front_matter(context, meta, entries)))
            foot = PdfReader(io.BytesIO(footers(context, labels)))
            browser.close()
    finally:
        server.close()

    writer = PdfWriter()
    for pg in front.pages:
        writer.add_page(pg)
    contents_at = 1
    writer.add_outline_item(title="Title page", page_number=0)
    writer.add_outline_item(title="Contents", page_number=contents_at)
    offset = len(front.pages)
    k = 0
    last_part, part_item = object(), None
    for (part, title, reader, outline), start in zip(body, starts):
        for pg in reader.pages:
            added = writer.add_page(pg)
            added.merge_page(foot.pages[k])
            added.compress_content_streams()  # the merge writes the page's drawing uncompressed
            k += 1
        if part != last_part:
            part_item = (writer.add_outline_item(title=part, page_number=offset + start - 1)
                         if part else None)
            last_part = part
        chapter = writer.add_outline_item(title=title, page_number=offset + start - 1, parent=part_item)
        for text, index in outline:
            writer.add_outline_item(title=text, page_number=offset + start - 1 + index, parent=chapter)
    writer.add_metadata({"/Title": meta["title"], "/Author": meta["author"],
                         "/Subject": "PDF edition of the HTML book", "/Creator": "book/tools/pdf_edition.py"})
    writer.page_mode = "/UseOutlines"
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "wb") as fh:
        writer.write(fh)
    seconds = time.perf_counter() - started
    return len(writer.pages), seconds


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("html", nargs="?", default="_build/html", help="the built HTML book")
    ap.add_argument("-o", "--output", default=None, help="the PDF (default: HTML/nnkernel-book.pdf)")
    ap.add_argument("--only", action="append", metavar="DOC",
                    help="print only this page (e.g. lessons/losses; repeatable), for a quick look")
    args = ap.parse_args(argv)
    html_dir = Path(args.html)
    output = Path(args.output) if args.output else html_dir / "nnkernel-book.pdf"
    n, seconds = build(html_dir, output, only=args.only)
    print(f"{output}: {n} pages, {output.stat().st_size / 1e6:.1f} MB, built in {seconds:.0f} s")


if __name__ == "__main__":
    main()
