"""Small fixes to the pages Jupyter Book 1 writes.

- sphinx-thebe registers its configuration script once per read phase, so pages carried it twice and
  the second copy threw "Identifier 'THEBE_JS_URL' has already been declared".  Each page now keeps
  one copy of every script.
- docutils marks each bibliography entry role="doc-biblioentry" inside a role="list": that role is
  deprecated and leaves the list with no items for a screen reader (axe: aria-required-children,
  critical).  Entries become role="listitem".
- MyST-NB's folded code cells name their <summary> "Toggle hidden content", which hides the visible
  "Show code cell source" from the accessible name (axe: label-content-name-mismatch); the summary is
  named by its text instead.
"""


def _key(asset):
    """Same file (None and "" both mean an inline script) and same attributes, body included."""
    if isinstance(asset, str):
        return asset, ()
    attributes = getattr(asset, "attributes", {}) or {}
    return str(asset.filename or ""), tuple(sorted((k, str(v)) for k, v in attributes.items()))


def dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for asset in scripts:
        key = _key(asset)
        if key not in seen:
            seen.add(key)
            unique.append(asset)
    scripts[:] = unique


BODY_FIXES = (
    ('role="doc-biblioentry"', 'role="listitem"'),
    ('<summary aria-label="Toggle hidden content">', "<summary>"),
)


def fix_body(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body:
        for old, new in BODY_FIXES:
            body = body.replace(old, new)
        context["body"] = body


def setup(app):
    # early: html-page-context stops at the first handler that returns a template name
    app.connect("html-page-context", dedupe_scripts, priority=100)
    app.connect("html-page-context", fix_body, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
