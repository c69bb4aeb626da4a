"""Internal link check of the built book: every relative link, image, script and style sheet points at a
file of the build, and every #anchor at an id on the page it names (#player:state at an explorer's player)."""
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

ATTRS = {"a": "href", "link": "href", "img": "src", "script": "src", "iframe": "src", "source": "src"}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links, self.players = set(), [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("data-nnk-player"):
            self.players.add(attrs["data-nnk-player"])
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        url = attrs.get(ATTRS.get(tag, ""))
        if url:
            self.links.append((tag, url))


def _parse(path, cache):
    if path not in cache:
        page = _Page()
        page.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = page
    return cache[path]


def _is_internal(url):
    parts = urlsplit(url)
    return not (parts.scheme or parts.netloc or url.startswith(("mailto:", "data:", "javascript:")))


def test_every_internal_link_resolves(built_book):
    cache, broken, checked = {}, [], 0
    pages = sorted(p for p in built_book.rglob("*.html") if "_static" not in p.parts)
    assert any(p.name == "activations.html" for p in pages)
    for page_path in pages:
        for tag, url in _parse(page_path, cache).links:
            if not _is_internal(url):
                continue
            parts = urlsplit(url)
            target = page_path if not parts.path else (page_path.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            checked += 1
            where = f"{page_path.relative_to(built_book)}: <{tag}> {url}"
            if not target.exists():
                broken.append(where + " (no such file)")
            elif parts.fragment and target.suffix == ".html":
                fragment, linked = unquote(parts.fragment), _parse(target, cache)
                if ":" in fragment and fragment.split(":", 1)[0] in linked.players:
                    continue  # a shared explorer setting, #player:state
                if fragment not in linked.ids:
                    broken.append(where + " (no such anchor)")
    assert checked > 500
    assert broken == [], "\n".join(broken[:40])
