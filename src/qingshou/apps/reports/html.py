"""The report as one self-contained HTML file (Django template, CSS inline, charts as data URIs)."""

from __future__ import annotations

from pathlib import Path

from django.template.loader import render_to_string

from qingshou.apps.reports.content import Document


def render(document: Document) -> str:
    """The HTML of ``document`` (call inside ``translation.override`` of its language)."""
    return render_to_string("reports/report.html", {"document": document})


def write(document: Document, path: Path) -> Path:
    path.write_text(render(document), encoding="utf-8")
    return path
