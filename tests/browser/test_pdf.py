"""The PDF edition (book/tools/pdf_edition.py, `make pdf`), read back with poppler's pdftotext and
pdftoppm and pypdf: every chapter in the contents' order with its bookmark, typeset formulas and no TeX
source or unresolved reference, each explorer's note on where to use it live, the solutions in their
appendix (and only pointers to them in the chapters), pages that are not blank, the metadata, and the
HTML book's link to it."""
import functools
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import ROOT, _missing

sys.path.insert(0, str(ROOT / "book" / "tools"))
import pdf_edition

PDF_NAME = "nnkernel-book.pdf"

#: formulas from the chapters (their TeX in the comment) as MathJax typesets them, compared without white
#: space: Unicode minus signs and Greek letters, where TeX source would read \sigma or a hyphen-minus
FORMULAS = [
    ("activations", "σ(z)(1−σ(z))"),  # \sigma(z)(1 - \sigma(z))
    ("activations", "gstep(z)=0(z≠0)"),  # g'_{\text{step}}(z) = 0\ (z \neq 0), its prime set apart
    ("losses", "X=[1,x]"),  # X = [\mathbf 1, \mathbf x]
    ("maximum_likelihood", "NLL(θ)=−ℓ(θ)/N"),  # \mathrm{NLL}(\theta) = -\ell(\theta)/N
    ("batch_normalization", "a=g(BN(xW))"),  # a = g(\mathrm{BN}(xW))
    ("ewma", "1/(1−β)"),  # 1/(1 - \beta)
    ("optimizers", "|1−4η|=1"),  # |1 - 4\eta| = 1
]


def _tool(name):
    path = shutil.which(name)
    if not path:
        _missing(f"{name} is not installed (Debian's poppler-utils)")
    return path


@pytest.fixture(scope="module")
def book_pdf(built_book):
    path = built_book / PDF_NAME
    if not path.exists():
        _missing(f"the PDF edition is not built ({path}: run `make pdf`)")
    return path


@pytest.fixture(scope="module")
def pages_text(book_pdf):
    """The text of every page, as pdftotext reads it."""
    out = subprocess.run([_tool("pdftotext"), "-layout", str(book_pdf), "-"], capture_output=True,
                         text=True, check=True, timeout=300).stdout
    return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")


@pytest.fixture(scope="module")
def reader(book_pdf):
    from pypdf import PdfReader
    return PdfReader(book_pdf)


@pytest.fixture(scope="module")
def bookmarks(reader):
    """The outline as (depth, title, page index)."""
    out = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, str(item.title), reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return out


def _flat(text):
    return "".join(text.split())


def _toc_docs(built_book):
    return [doc for _, doc in pdf_edition.toc_pages(built_book)]


@functools.cache
def _chapters(built_book):
    """(docname, title) in the contents' order."""
    return [(doc, pdf_edition.headings(built_book / f"{doc}.html")[0]) for doc in _toc_docs(built_book)]


def _chapter_starts(bookmarks, built_book):
    """Each page's (and the appendix's) first page index, from the bookmarks, in the contents' order."""
    titles = [t for _, t in _chapters(built_book)] + [pdf_edition.SOLUTIONS_TITLE]
    marks = [(t, p) for d, t, p in bookmarks if t in titles and d <= 1]
    return marks


def test_every_chapter_in_order_with_its_bookmark(built_book, bookmarks, pages_text, reader):
    titles = [t for _, t in _chapters(built_book)] + [pdf_edition.SOLUTIONS_TITLE]
    marks = _chapter_starts(bookmarks, built_book)
    assert [t for t, _ in marks] == titles
    starts = [p for _, p in marks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    for title, start in marks:  # the bookmark opens the page that shows the chapter's title
        assert _flat(title) in _flat(pages_text[start]), (title, start)
    # the contents list (after the title page) names every chapter with a page number
    contents = _flat(" ".join(pages_text[1:starts[0]]))
    for title in titles:
        assert _flat(title) in contents, title
    assert len(reader.pages) == len(pages_text)


def _page_number(text):
    """The number in a page's running footer (its last line's last word)."""
    return [ln for ln in text.splitlines() if ln.strip()][-1].split()[-1]


def test_the_body_pages_are_numbered(built_book, bookmarks, pages_text):
    marks = _chapter_starts(bookmarks, built_book)
    first, appendix = marks[0][1], dict(marks)[pdf_edition.SOLUTIONS_TITLE]
    for index in (first, first + 1, appendix - 1):
        assert _page_number(pages_text[index]) == str(index - first + 1)
    # the solutions appendix is numbered on its own: S1, S2, ...
    for index in (appendix, len(pages_text) - 1):
        assert _page_number(pages_text[index]) == f"{pdf_edition.APPENDIX_PREFIX}{index - appendix + 1}"


def test_formulas_are_typeset_and_no_tex_or_broken_reference_is_left(pages_text):
    flat = _flat(" ".join(pages_text))
    for where, formula in FORMULAS:
        assert _flat(formula) in flat, (where, formula)
    text = "\n".join(pages_text)
    assert "??" not in text
    for source in ("\\(", "\\)", "\\[", "\\]", "$$", "\\begin{"):
        assert source not in text, source
    # TeX inside a code cell's strings (a table of formulas built in Python) is code, not untypeset maths
    prose = [ln for ln in text.splitlines() if "\\frac" in ln and not re.search(r"[\"'=]", ln)]
    assert prose == []


@functools.cache
def _solutions(path):
    return pdf_edition.solutions_of(path)


def _players(path):
    """The explorers' names on a built page, in its order."""
    return re.findall(r'<div class="nnk-player"[^>]*\sdata-nnk-player="([^"]+)"',
                      path.read_text(encoding="utf-8"))


def test_each_explorer_prints_its_default_frame_and_where_to_use_it_live(built_book, pages_text):
    flat = _flat(" ".join(pages_text))
    found = 0
    for doc in _toc_docs(built_book):
        for name in _players(built_book / f"{doc}.html"):
            note = (f"Explorer “{name}”, shown at its default setting. Interactive in the online book "
                    f"({doc}.html) or live in the chapter notebook ({doc}.ipynb).")
            assert _flat(note) in flat, note
            found += 1
    assert found >= 8


def test_solutions_are_in_their_appendix_grouped_by_chapter(built_book, bookmarks, pages_text):
    marks = _chapter_starts(bookmarks, built_book)
    appendix = dict(marks)[pdf_edition.SOLUTIONS_TITLE]
    # the appendix's bookmarks: one per chapter with exercises, in the chapters' order
    under = [(t, p) for d, t, p in bookmarks if p is not None and p >= appendix and d == 2]
    expected = []
    for doc, title in _chapters(built_book):
        sols = _solutions(built_book / f"{doc}.html")
        if sols:
            expected.append((doc, title, [label for label, _ in sols]))
    assert len(expected) >= 8
    assert [t for t, _ in under] == [title for _, title, _ in expected]
    ends = [p for _, p in under[1:]] + [len(pages_text) - 1]
    chapter_pages = {t: p for t, p in marks}
    titles = [t for t, _ in marks]
    for (doc, title, labels), (_, start), end in zip(expected, under, ends):
        section = _flat(" ".join(pages_text[start:end + 1]))
        for label in labels:
            assert _flat(label) in section, (title, label)
        # the chapter itself keeps a pointer to the appendix's page for each solution, not the solution
        ch_start = chapter_pages[title]
        ch_end = chapter_pages[titles[titles.index(title) + 1]]
        chapter = _flat(" ".join(pages_text[ch_start:ch_end]))
        pointer = re.escape(_flat(f": in the appendix “Solutions”, under “{title}”, p. "))
        found = re.findall(r"Solutionto(Exercise\d+)" + pointer + pdf_edition.APPENDIX_PREFIX + r"(\d+)\.",
                           chapter)
        assert [label for label, _ in found] == [_flat(label) for label in labels], title
        for label, number in found:  # ... and the page it gives shows that solution
            assert re.search(r"Exercise\s+" + label[len("Exercise"):] + r"(?!\d)",
                             pages_text[appendix + int(number) - 1]), (label, number)
        # and no solution's own title ("Solution to Exercise 1") is left in it
        assert chapter.count("Solutionto") == len(labels), title


def test_sampled_pages_are_not_blank(built_book, bookmarks, book_pdf, reader, tmp_path):
    from PIL import Image

    n = len(reader.pages)
    sample = sorted({0, 1, n - 1, *range(2, n, max(1, n // 15)), *(p for _, p in _chapter_starts(
        bookmarks, built_book))})
    for index in sample:
        stem = tmp_path / f"p{index}"
        subprocess.run([_tool("pdftoppm"), "-r", "50", "-gray", "-f", str(index + 1), "-l", str(index + 1),
                        "-png", "-singlefile", str(book_pdf), str(stem)], check=True, timeout=120)
        img = Image.open(f"{stem}.png")
        w, h = img.size
        body = img.crop((0, 0, w, int(h * 0.9)))  # above the running footer
        ink = sum(body.point(lambda v: 255 if v < 200 else 0).histogram()[255:])
        assert ink > 0.002 * body.size[0] * body.size[1], f"page {index + 1} is blank"


def test_metadata_from_the_book_config(reader):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert reader.metadata.title == config["title"]
    assert reader.metadata.author == config["author"]


def test_every_page_of_the_html_book_links_to_the_pdf(built_book, book_pdf):
    for doc in _toc_docs(built_book):
        path = built_book / f"{doc}.html"
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        links = [a for a in soup.find_all("a", href=True) if a["href"].endswith(PDF_NAME)]
        assert links, f"{doc}.html has no link to the PDF"
        for a in links:
            assert a.get_text(strip=True), f"{doc}.html: the PDF link has no accessible name"
            assert (path.parent / a["href"]).resolve() == Path(book_pdf).resolve()
