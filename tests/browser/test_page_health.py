"""Every page of the built book, served over HTTP: no console errors, no uncaught exceptions, no failed
or refused requests, no MathJax error boxes and no formula left untypeset; in light and in dark mode (each
fetches its own renderings of the figures).  (Warnings are allowed; the widget manager logs one from
its JSON-schema validator.)"""

import pytest

from conftest import book_pages

# MathJax error boxes, and formulas MathJax left as TeX source (a component that failed to load, a
# package the configuration lacks): every Sphinx math element must hold a typeset mjx-container
HEALTH_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  const math = Array.from(document.querySelectorAll('.bd-content .math'));
  return document.querySelectorAll('mjx-merror').length +
         math.filter(m => !m.querySelector('mjx-container')).length;
}"""


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_every_page_loads_cleanly(built_book, book_server, page, mode):
    page.context.add_init_script(f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');")
    pages = book_pages(built_book, include_redirect=True)
    assert len(pages) >= 12 and "lessons/optimizers.html" in pages
    problems = {}
    for rel in pages:
        errors, failed = [], []
        on_console = lambda m: errors.append(f"console: {m.text[:160]}") if m.type == "error" else None
        on_error = lambda e: errors.append(f"exception: {str(e)[:160]}")
        # a request the page itself cancels is not a failure: headless Chromium cancels the icon fetch
        # when it is slow to be wanted, and MathJax drops a font (MathJax_Zero) it measured with once its
        # style is replaced.  A missing file still fails, as a 404 response (the icon is also fetched
        # directly below), and a request leaving the machine is refused and recorded by the page fixture.
        on_failed = lambda r: None if r.failure == "net::ERR_ABORTED" and r.url.startswith(book_server) \
            else failed.append(f"{r.failure} {r.url}")
        on_response = lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None
        page.on("console", on_console)
        page.on("pageerror", on_error)
        page.on("requestfailed", on_failed)
        page.on("response", on_response)
        page.goto(f"{book_server}/{rel}", wait_until="networkidle")
        page.wait_for_timeout(1500 if rel.startswith("lessons/") else 300)  # widgets render after load
        math_errors = page.evaluate(HEALTH_JS)
        for event, fn in (("console", on_console), ("pageerror", on_error), ("requestfailed", on_failed),
                          ("response", on_response)):
            page.remove_listener(event, fn)
        if errors or failed or math_errors:
            problems[rel] = {"errors": sorted(set(errors)), "failed": sorted(set(failed)),
                             "math errors": math_errors}
    assert problems == {}
    assert page.external_requests == []
    icon = page.evaluate("() => document.querySelector('link[rel=icon]').href")
    assert page.request.get(icon).status == 200, icon
