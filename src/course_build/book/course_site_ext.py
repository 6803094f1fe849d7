"""Sphinx extension used by the course website (``course build site``).

Jupyter Book 1.x always loads ``sphinx-thebe`` (live code on Binder).  The course site is
offline, so its scripts are taken out of every page: they name a CDN URL (unpkg) and, on
Chromium, declare ``THEBE_JS_URL`` twice (a page error).
"""

from __future__ import annotations

from typing import Any


def _offline_scripts(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    kept = []
    for script in scripts:
        filename = str(script) if script else ""
        body = getattr(script, "attributes", {}).get("body", "") if hasattr(script, "attributes") else ""
        if "thebe" in filename.lower() or "THEBE_JS_URL" in body or "thebe_selector" in body:
            continue
        kept.append(script)
    scripts[:] = kept


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _offline_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
