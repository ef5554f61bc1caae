"""Score model versions (``apps.scoring.services.models``, ``qingshou model``): training stores the next version with
the SHA-256 of its canonical artifact and its metrics, deterministic for a seed; one active model per kind,
activation retires the previous one with an audit event; the report's files hold the stored numbers; the
CLI's exit codes; who holds the permissions."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from qingshou.apps.accounts.roles import ROLE_PERMISSIONS, Role
from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.scoring.models import RiskScore, ScoreModel
from qingshou.apps.scoring.services import models as services
from qingshou.apps.scoring.services.report import write_report
from qingshou.cli import build
from qingshou.risk import validation
from qingshou.risk.synthetic import synthetic_training_set

pytestmark = [pytest.mark.db, pytest.mark.django_db]

DATA = synthetic_training_set(rows=1500, seed=21)
DEFAULT_DATA = replace(synthetic_training_set("early_warning", rows=1500, seed=22, event_is_good=False))


def trained(kind: str = "collection", seed: int = 1, actor: Any = "tester") -> ScoreModel:
    data = DATA if kind == "collection" else replace(DEFAULT_DATA, kind=kind)
    return services.train_model(kind, services.TrainOptions(seed=seed), actor=actor, data=data)


def test_training_stores_the_next_version_with_its_sha256_and_metrics() -> None:
    """Versions count up per kind; the SHA-256 is of the canonical artifact JSON; metrics are stored."""
    first, second = trained(), trained(seed=2)
    other = trained("early_warning")
    assert (first.version, second.version, other.version) == (1, 2, 1)
    stored = ScoreModel.objects.get(pk=first.pk)
    assert stored.status == ScoreModel.Status.TRAINED
    assert stored.artifact_sha256 == services.artifact_sha256(stored.artifact)
    assert services.verify(stored)
    assert (stored.rows, stored.events) == (DATA.rows.height, DATA.events)
    assert stored.metrics["test"]["auc"] > 0.6
    assert stored.trained_by == "tester"
    assert stored.window_from == DATA.window_from
    event = AuditEvent.objects.get(action="scoring.train", target_id=str(first.pk))
    assert event.detail["sha256"] == stored.artifact_sha256


def test_training_is_deterministic_for_a_seed() -> None:
    """The same rows and seed give the same artifact hash and metrics in two versions."""
    one, two = trained(seed=5), trained(seed=5)
    assert one.artifact_sha256 == two.artifact_sha256
    assert ScoreModel.objects.get(pk=one.pk).metrics == ScoreModel.objects.get(pk=two.pk).metrics


def test_one_active_model_per_kind_and_activation_is_audited(make_user: Any) -> None:
    """Activating v2 retires v1 (same kind only); the audit event names both; re-activating is refused."""
    manager = make_user(Role.RISK_MANAGER)
    v1, v2 = trained(), trained(seed=2)
    warning = services.activate(trained("early_warning"), manager)
    services.activate(v1, manager)
    assert services.active_model("collection") == v1
    services.activate(v2, manager, reason="better test AUC")
    statuses = dict(ScoreModel.objects.filter(kind="collection").values_list("version", "status"))
    assert statuses == {1: "retired", 2: "active"}
    assert ScoreModel.objects.get(pk=warning.pk).status == "active"
    event = AuditEvent.objects.filter(action="scoring.activate", target_id=str(v2.pk)).get()
    assert event.actor == manager
    assert event.detail["retired"] == [1]
    assert event.reason == "better test AUC"
    active = ScoreModel.objects.get(pk=v2.pk)
    assert active.activated_by == manager
    assert active.activated_at is not None
    with pytest.raises(services.ModelError, match="already active"):
        services.activate(active, manager)
    found = services.active_artifact("collection")
    assert found is not None
    assert found[0].version == 2
    assert found[1] == active.artifact


def test_a_retired_version_can_be_activated_again() -> None:
    """Rolling back: v1 active again retires v2."""
    v1, v2 = trained(), trained(seed=2)
    services.activate(v1)
    services.activate(v2)
    services.activate(ScoreModel.objects.get(pk=v1.pk))
    assert services.active_model("collection") == v1
    assert ScoreModel.objects.get(pk=v2.pk).status == "retired"


def test_refusals_name_the_problem() -> None:
    """Unknown kind, a training set of another kind, an unknown version, a dataset without a builder."""
    with pytest.raises(services.ModelError, match="unknown model kind"):
        services.train_model("marketing", data=DATA)
    with pytest.raises(services.ModelError, match="of kind 'collection', not 'application'"):
        services.train_model("application", data=DATA)
    with pytest.raises(services.ModelError, match="no collection model version 9") as error:
        services.get_model("collection", 9)
    assert error.value.code == "not_found"
    with pytest.raises(services.ModelError, match="no dataset 'german-credit' for collection"):
        services.train_model("collection", services.TrainOptions(dataset="german-credit"))
    assert not ScoreModel.objects.exists()


def test_report_files_hold_the_stored_numbers(tmp_path: Path) -> None:
    """HTML, four PNG charts and metrics JSON; the JSON equals the stored metrics and the HTML shows them;
    the current PSI is computed on the training bands from the latest stored scores."""
    model = trained()
    services.activate(model)
    bands = model.metrics["stability"]["train_to_test"]
    top = int(bands["cuts"][-1]) + 5  # every current score in the top band
    for i in range(40):
        RiskScore.objects.create(
            borrower_id=f"B{i}",
            kind="collection",
            as_of=date(2026, 9, 1),
            model_version=1,
            points=top,
            probability_ppm=900_000,
        )
    RiskScore.objects.create(
        borrower_id="OLD",
        kind="collection",
        as_of=date(2026, 8, 1),
        model_version=1,
        points=0,
        probability_ppm=1,
    )
    files = write_report(ScoreModel.objects.get(pk=model.pk), tmp_path, "en")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["calibration.png", "ks.png", "metrics.json", "model-collection-v1.html", "roc.png", "scores.png"]
    )
    for chart in files.charts.values():
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads(files.metrics.read_text(encoding="utf-8"))
    assert saved["metrics"] == model.metrics
    assert saved["model"]["auc_test"] == model.metrics["test"]["auc"]
    actual = [0] * len(bands["expected"])
    actual[-1] = 40
    assert saved["current"]["rows"] == 40
    assert saved["current"]["psi"] == pytest.approx(validation.psi_from_counts(bands["expected"], actual))
    assert saved["current"]["reading"] == "shift"
    html = files.html.read_text(encoding="utf-8")
    assert f"{model.metrics['test']['auc']:.3f}" in html
    assert f"{model.metrics['stability']['train_to_test']['psi']:.4f}" in html
    assert html.count("data:image/png;base64,") == 4
    assert "Score model report" in html
    zh = write_report(model, tmp_path / "zh", "zh").html.read_text(encoding="utf-8")
    assert "评分模型报告" in zh
    assert "逾期天数" in zh


def test_cli_train_list_show_activate_report(tmp_path: Path) -> None:
    """The commands and their exit codes (0; 2 bad input; 4 no such version)."""
    runner = CliRunner()
    result = runner.invoke(
        build(), ["model", "train", "collection", "--dataset", "synthetic", "--seed", "3", "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["kind"], body["version"], body["status"]) == ("collection", 1, "trained")
    result = runner.invoke(
        build(), ["model", "train", "application", "--dataset", "synthetic", "--activate", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "active"
    listed = json.loads(runner.invoke(build(), ["model", "list", "--json"]).output)
    assert [(m["kind"], m["version"]) for m in listed] == [("application", 1), ("collection", 1)]
    shown = runner.invoke(build(), ["model", "show", "collection", "1", "--json"])
    assert shown.exit_code == 0
    points = json.loads(shown.output)["points"]
    assert {row["feature"] for row in points} >= {"dpd", "payments_90d"}
    human = runner.invoke(build(), ["model", "show", "collection", "1"])
    assert "评分卡 scorecard" in human.output
    assert runner.invoke(build(), ["model", "activate", "collection", "1"]).exit_code == 0
    assert ScoreModel.objects.get(kind="collection", version=1).status == "active"
    again = runner.invoke(build(), ["model", "activate", "collection", "1"])
    assert again.exit_code == 2
    assert "already active" in again.output
    missing = runner.invoke(build(), ["model", "show", "collection", "7"])
    assert missing.exit_code == 4
    bad = runner.invoke(build(), ["model", "train", "collection", "--dataset", "german-credit"])
    assert bad.exit_code == 2
    assert "no dataset 'german-credit'" in bad.output
    report = runner.invoke(build(), ["model", "report", "collection", "1", "--out", str(tmp_path), "--json"])
    assert report.exit_code == 0, report.output
    assert Path(json.loads(report.output)["html"]).is_file()
    assert re.search(r"AUC", Path(json.loads(report.output)["html"]).read_text(encoding="utf-8"))


def test_only_risk_managers_and_admins_manage_models() -> None:
    """Least privilege: model internals for risk managers and admins only."""
    holders = {
        role for role, permissions in ROLE_PERMISSIONS.items() if "scoring.manage_models" in permissions
    }
    assert holders == {Role.ADMIN, Role.RISK_MANAGER}
    viewers = {
        role for role, permissions in ROLE_PERMISSIONS.items() if "scoring.view_scoremodel" in permissions
    }
    assert viewers == {Role.ADMIN, Role.RISK_MANAGER}
