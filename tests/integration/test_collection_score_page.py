"""The collection score on the case page (issue 8): the collector of the case sees the score with its reasons as
labels in the page's language, escaped; an agency user working a placed case does not see it; a case whose
borrower is not scored shows nothing. ``qingshou scores show`` lists the stored scores (borrower ids only)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client
from django.urls import reverse

from qingshou.apps.scoring.models import RiskScore, ScoreModel
from qingshou.cli.scores import scores
from workbench_book import Book, assign_to, make_book

pytestmark = [pytest.mark.db, pytest.mark.django_db]

ClientFor = Callable[[Any], Client]

ARTIFACT = {
    "event": "pays or cures within 30 days",
    "event_zh": "30天内还款或自愈",
    "features": [
        {"name": "dpd", "label_zh": "逾期天数", "label_en": "days past due"},
        {"name": "product", "label_zh": "<产品>", "label_en": "<product>"},
    ],
}


@pytest.fixture
def book() -> Book:
    book = make_book()
    assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    assign_to(book.cases["B4"], None, agency=book.agency)
    ScoreModel.objects.create(
        kind="collection", version=3, status="active", dataset="test", seed=1, rows=10, events=5,
        artifact=ARTIFACT, artifact_sha256="x", metrics={},
    )  # fmt: skip
    for borrower_id, points, ppm in (("B1", 431, 215_000), ("B4", 512, 640_000), ("B2", 470, 400_000)):
        RiskScore.objects.create(
            borrower_id=borrower_id, kind="collection", as_of=date(2026, 3, 10), loan_id="L1",
            model_version=3, points=points, probability_ppm=ppm, reasons="dpd;product",
        )  # fmt: skip
    return book


def page(client: Client, book: Book, name: str, language: str) -> str:
    client.cookies["django_language"] = language
    response = client.get(reverse("cases:case", args=[book.cases[name].pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_the_collector_sees_the_score_with_reasons_escaped(book: Book, client_for: ClientFor) -> None:
    client = client_for(book.users["c1"])
    html = page(client, book, "B1", "zh-hans")
    assert 'id="collection-score"' in html
    assert "431" in html
    assert "21.5%" in html
    assert "30天内还款或自愈" in html
    assert "逾期天数; &lt;产品&gt;" in html
    assert "<产品>" not in html
    english = page(client, book, "B1", "en")
    assert "days past due; &lt;product&gt;" in english
    assert "pays or cures within 30 days" in english


def test_an_agency_user_does_not_see_the_score(book: Book, client_for: ClientFor) -> None:
    html = page(client_for(book.users["ag1"]), book, "B4", "en")
    assert 'id="collection-score"' not in html
    assert "512" not in html


def test_an_unscored_borrower_shows_no_score(book: Book, client_for: ClientFor) -> None:
    assign_to(book.cases["B3"], book.users["c1"], book.teams["一组"])
    html = page(client_for(book.users["c1"]), book, "B3", "en")
    assert 'id="collection-score"' not in html


def test_scores_show_lists_bands_and_accounts(book: Book) -> None:
    runner = CliRunner()
    result = runner.invoke(scores, ["show", "--json", "--top", "2", "--band", "100"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["count"] == 3
    assert data["model_versions"] == [3]
    assert [(band["from"], band["count"]) for band in data["bands"]] == [(400, 2), (500, 1)]
    assert [row["borrower_id"] for row in data["bottom"]] == ["B1", "B2"]
    assert [row["borrower_id"] for row in data["top"]] == ["B4", "B2"]
    assert data["top"][0]["reasons"][0] == {"code": "dpd", "zh": "逾期天数", "en": "days past due"}
    assert "张" not in result.output  # borrower ids only, no names
    one = runner.invoke(scores, ["show", "--borrower", "B4", "--json"])
    assert json.loads(one.output)["points"] == 512
    missing = runner.invoke(scores, ["show", "--borrower", "B3"])
    assert missing.exit_code == 4
    table = runner.invoke(scores, ["show"])
    assert table.exit_code == 0
    assert "B1" in table.output
