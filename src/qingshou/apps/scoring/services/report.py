"""The model report: one version's discrimination, calibration and stability, for people to read.

``write_report(model, out, lang)`` writes into ``out``:

- ``model-<kind>-v<version>.html``: self-contained (CSS inline, charts as data URIs), Chinese or English;
- ``roc.png``, ``ks.png``, ``calibration.png``, ``scores.png``: ROC (train, test), the KS curves (test: the
  cumulative shares of events and non-events by score), calibration (test deciles: predicted vs observed), the
  score distribution on the training bands (train, test and the latest stored scores when there are some);
- ``metrics.json``: the model's headline, its stored metrics and the current-population stability.

Every number comes from the stored metrics (computed at training) except the current PSI, computed here from
``qs_risk_score`` (the latest day's scores of the kind) on the training bands.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from django.template.loader import render_to_string

from qingshou.apps.scoring.models import RiskScore, ScoreModel
from qingshou.apps.scoring.services.models import summary
from qingshou.risk import scorecard, validation

CHARTS: Final = ("roc", "ks", "calibration", "scores")

#: Report texts (zh, en).
TEXT: Final[dict[str, tuple[str, str]]] = {
    "title": ("评分模型报告", "Score model report"),
    "kind.collection": ("催收评分", "collection score"),
    "kind.early_warning": ("预警评分", "early warning score"),
    "kind.application": ("申请评分", "application score"),
    "version": ("版本", "version"),
    "status": ("状态", "status"),
    "event": ("事件", "event"),
    "dataset": ("数据", "dataset"),
    "rows": ("样本", "rows"),
    "events": ("事件数", "events"),
    "seed": ("随机种子", "seed"),
    "split": ("划分", "split"),
    "split.time": (
        "按时间（最近的观察日为测试集）",
        "by time (the latest observation days are the test set)",
    ),
    "split.random": ("分层随机", "stratified random"),
    "trained": ("训练时间", "trained at"),
    "discrimination": ("区分能力", "Discrimination"),
    "part": ("样本集", "part"),
    "train": ("训练集", "train"),
    "test": ("测试集", "test"),
    "current": ("当前", "current"),
    "calibration": ("校准", "Calibration"),
    "group": ("组", "group"),
    "count": ("数量", "count"),
    "predicted": ("预测概率", "predicted"),
    "observed": ("实际比率", "observed"),
    "brier": ("Brier 分数", "Brier score"),
    "hl": ("Hosmer–Lemeshow 统计量", "Hosmer–Lemeshow statistic"),
    "pvalue": ("p 值", "p-value"),
    "stability": ("稳定性", "Stability"),
    "psi_train_test": ("PSI 训练→测试", "PSI train → test"),
    "psi_current": ("PSI 训练→当前评分", "PSI train → current scores"),
    "no_current": ("尚无已存评分", "no stored scores yet"),
    "current_scores": ("当前评分", "current scores"),
    "reading.stable": ("稳定 (< 0.1)", "stable (< 0.1)"),
    "reading.watch": ("关注 (0.1–0.25)", "watch (0.1–0.25)"),
    "reading.shift": ("显著偏移 (≥ 0.25)，建议重新训练", "shifted (≥ 0.25): retrain"),
    "reading.n/a": ("无数据", "no data"),
    "csi": ("特征稳定性 CSI", "Feature stability (CSI)"),
    "feature": ("特征", "feature"),
    "iv": ("IV", "IV"),
    "coefficient": ("系数", "coefficient"),
    "points_table": ("评分卡", "Scorecard"),
    "bin": ("分箱", "bin"),
    "event_rate": ("事件率", "event rate"),
    "woe": ("WoE", "WoE"),
    "points": ("分值", "points"),
    "base": ("基础分", "base points"),
    "scaling": ("刻度", "scaling"),
    "dropped": ("剔除的特征", "Dropped features"),
    "reason": ("原因", "reason"),
    "none": ("无", "none"),
    "chart.roc": ("ROC 曲线", "ROC curve"),
    "chart.ks": ("KS 曲线（测试集）", "KS curve (test)"),
    "chart.calibration": ("校准（测试集）", "Calibration (test)"),
    "chart.scores": ("评分分布", "Score distribution"),
    "fpr": ("误报率", "false positive rate"),
    "tpr": ("命中率", "true positive rate"),
    "cum_events": ("事件累计占比", "events (cumulative)"),
    "cum_nonevents": ("非事件累计占比", "non-events (cumulative)"),
    "share": ("占比", "share"),
    "band": ("分数段", "score band"),
}


def text(key: str, lang: str) -> str:
    zh, en = TEXT.get(key, (key, key))
    return en if lang == "en" else zh


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """What ``write_report`` wrote, and the current-population stability it computed."""

    html: Path
    charts: dict[str, Path]
    metrics: Path
    current: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "html": str(self.html),
            "charts": {name: str(path) for name, path in self.charts.items()},
            "metrics": str(self.metrics),
            "current": self.current,
        }


def current_stability(model: ScoreModel) -> dict[str, Any]:
    """PSI of the latest day's stored scores of the kind against the training scores (training bands)."""
    stability = ((model.metrics or {}).get("stability") or {}).get("train_to_test") or {}
    cuts = stability.get("cuts")
    expected = stability.get("expected")
    latest = (
        RiskScore.objects.filter(kind=model.kind).order_by("-as_of").values_list("as_of", flat=True).first()
    )
    if latest is None or cuts is None or expected is None:
        return {"as_of": None, "rows": 0, "psi": None, "reading": validation.psi_reading(None), "actual": []}
    scores = RiskScore.objects.filter(kind=model.kind, as_of=latest)
    points = list(scores.values_list("points", flat=True))
    versions = sorted(set(scores.values_list("model_version", flat=True)))
    actual = validation.band_counts(points, cuts)
    value = validation.psi_from_counts(expected, actual)
    return {
        "as_of": latest.isoformat(),
        "rows": len(points),
        "model_versions": versions,
        "psi": value,
        "reading": validation.psi_reading(value),
        "actual": actual,
    }


# --------------------------------------------------------------------------------------------------- charts
def _figure(lang: str) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from qingshou.apps.reports.charts import FontMissing, font_family

    try:
        family = font_family()
    except FontMissing:
        family = "DejaVu Sans"
    figure = Figure(figsize=(5.2, 3.8), dpi=110)
    figure.set_layout_engine("tight")
    axes = figure.add_subplot()
    return figure, axes, family


def _chart_roc(metrics: dict[str, Any], lang: str, path: Path) -> None:
    figure, axes, family = _figure(lang)
    for part, style in (("train", "-"), ("test", "--")):
        roc = (metrics.get(part) or {}).get("roc")
        if roc:
            auc = metrics[part].get("auc")
            axes.plot(roc["x"], roc["y"], style, label=f"{text(part, lang)} AUC {auc:.3f}" if auc else part)
    axes.plot([0, 1], [0, 1], ":", color="grey")
    axes.set_xlabel(text("fpr", lang), family=family)
    axes.set_ylabel(text("tpr", lang), family=family)
    axes.set_title(text("chart.roc", lang), family=family)
    axes.legend(prop={"family": family, "size": 8})
    figure.savefig(path)


def _chart_ks(metrics: dict[str, Any], lang: str, path: Path) -> None:
    figure, axes, family = _figure(lang)
    curve = (metrics.get("test") or {}).get("ks_curve") or (metrics.get("train") or {}).get("ks_curve")
    if curve:
        axes.plot(curve["points"], curve["events"], label=text("cum_events", lang))
        axes.plot(curve["points"], curve["nonevents"], label=text("cum_nonevents", lang))
    ks = (metrics.get("test") or {}).get("ks")
    axes.set_title(f"{text('chart.ks', lang)} KS {ks:.3f}" if ks else text("chart.ks", lang), family=family)
    axes.set_xlabel(text("points", lang), family=family)
    axes.set_ylabel(text("share", lang), family=family)
    axes.legend(prop={"family": family, "size": 8})
    figure.savefig(path)


def _chart_calibration(metrics: dict[str, Any], lang: str, path: Path) -> None:
    figure, axes, family = _figure(lang)
    groups = ((metrics.get("test") or {}).get("calibration") or {}).get("groups") or []
    predicted = [g["predicted"] for g in groups]
    observed = [g["observed"] for g in groups]
    axes.plot(predicted, observed, "o-", label=text("test", lang))
    top = max([*predicted, *observed, 0.01])
    axes.plot([0, top], [0, top], ":", color="grey")
    axes.set_xlabel(text("predicted", lang), family=family)
    axes.set_ylabel(text("observed", lang), family=family)
    axes.set_title(text("chart.calibration", lang), family=family)
    axes.legend(prop={"family": family, "size": 8})
    figure.savefig(path)


def _band_labels(cuts: list[float]) -> list[str]:
    edges = ["", *[f"{c:g}" for c in cuts], ""]
    return [f"<{edges[1]}" if i == 0 else f"≥{edges[i]}" for i in range(len(cuts) + 1)]


def _chart_scores(metrics: dict[str, Any], current: dict[str, Any], lang: str, path: Path) -> None:
    figure, axes, family = _figure(lang)
    stability = (metrics.get("stability") or {}).get("train_to_test") or {}
    cuts = stability.get("cuts") or []
    series = [("train", stability.get("expected") or []), ("test", stability.get("actual") or [])]
    if current.get("rows"):
        series.append(("current", current["actual"]))
    width = 0.8 / len(series)
    for i, (name, counts) in enumerate(series):
        total = sum(counts) or 1
        xs = [x + i * width for x in range(len(counts))]
        axes.bar(xs, [c / total for c in counts], width=width, label=text(name, lang))
    labels = _band_labels(cuts)
    axes.set_xticks([x + 0.4 - width / 2 for x in range(len(labels))], labels, fontsize=7, rotation=45)
    axes.set_xlabel(text("band", lang), family=family)
    axes.set_ylabel(text("share", lang), family=family)
    axes.set_title(text("chart.scores", lang), family=family)
    axes.legend(prop={"family": family, "size": 8})
    figure.savefig(path)


# --------------------------------------------------------------------------------------------------- report
def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _context(model: ScoreModel, lang: str, current: dict[str, Any], images: dict[str, str]) -> dict[str, Any]:
    metrics = model.metrics or {}
    artifact = model.artifact
    label = "label_en" if lang == "en" else "label_zh"
    table = scorecard.points_table(artifact)
    stability = metrics.get("stability") or {}
    train_test = stability.get("train_to_test") or {}
    names = {f["name"]: f.get(label, f["name"]) for f in artifact["features"]}
    return {
        "lang": lang,
        "t": {key: text(key, lang) for key in TEXT},
        "model": model,
        "kind_label": text(f"kind.{model.kind}", lang),
        "event": artifact.get("event") if lang == "en" else artifact.get("event_zh"),
        "split": text(f"split.{artifact['split']['method']}", lang),
        "split_detail": artifact["split"],
        "scaling": artifact["scaling"],
        "base": _fmt(artifact["base"], 1),
        "discrimination": [
            (
                text(part, lang),
                *(_fmt((metrics.get(part) or {}).get(k)) for k in ("auc", "ks", "gini")),
                (metrics.get(part) or {}).get("rows"),
                (metrics.get(part) or {}).get("events"),
            )
            for part in ("train", "test")
        ],
        "calibration": [
            (g["group"], g["count"], _fmt(g["predicted"], 4), _fmt(g["observed"], 4))
            for g in ((metrics.get("test") or {}).get("calibration") or {}).get("groups", [])
        ],
        "brier": _fmt(((metrics.get("test") or {}).get("calibration") or {}).get("brier"), 4),
        "hl": _fmt(((metrics.get("test") or {}).get("calibration") or {}).get("hosmer_lemeshow"), 2),
        "hl_p": _fmt(((metrics.get("test") or {}).get("calibration") or {}).get("hl_pvalue"), 3),
        "psi_test": _fmt(train_test.get("psi"), 4),
        "psi_test_reading": text(f"reading.{train_test.get('reading', 'n/a')}", lang),
        "psi_current": _fmt(current.get("psi"), 4),
        "psi_current_reading": text(f"reading.{current.get('reading', 'n/a')}", lang),
        "current": current,
        "csi": [
            (
                names.get(name, name),
                _fmt(item.get("csi"), 4),
                text(f"reading.{item.get('reading', 'n/a')}", lang),
            )
            for name, item in (stability.get("csi") or {}).items()
        ],
        "features": [
            (f.get(label, f["name"]), f["name"], _fmt(f["iv"], 3), _fmt(f["coefficient"], 3))
            for f in artifact["features"]
        ],
        "points": [
            (
                row[label],
                row["label"],
                row["count"],
                _fmt(row["event_rate"], 3),
                _fmt(row["woe"], 3),
                _fmt(row["points"], 1),
            )
            for row in table.iter_rows(named=True)
        ],
        "dropped": artifact.get("dropped", []),
        "images": images,
    }


def write_report(model: ScoreModel, out: Path, lang: str = "zh") -> ReportFiles:
    """Write the report of ``model`` into ``out`` (module docstring)."""
    if lang not in ("zh", "en"):
        raise ValueError(f"language must be zh or en, not {lang!r}")
    out.mkdir(parents=True, exist_ok=True)
    metrics = model.metrics or {}
    current = current_stability(model)
    charts = {name: out / f"{name}.png" for name in CHARTS}
    _chart_roc(metrics, lang, charts["roc"])
    _chart_ks(metrics, lang, charts["ks"])
    _chart_calibration(metrics, lang, charts["calibration"])
    _chart_scores(metrics, current, lang, charts["scores"])
    images = {
        name: "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
        for name, path in charts.items()
    }
    html_path = out / f"model-{model.kind}-v{model.version}.html"
    html_path.write_text(
        render_to_string("scoring/model_report.html", _context(model, lang, current, images)),
        encoding="utf-8",
    )
    metrics_path = out / "metrics.json"
    metrics_path.write_text(
        json.dumps(
            {
                "model": summary(model),
                "metrics": metrics,
                "current": current,
                "dropped": model.artifact.get("dropped"),
            },
            ensure_ascii=False,
            indent=2,
            sort_keys=True,
        ),
        encoding="utf-8",
    )
    return ReportFiles(html=html_path, charts=charts, metrics=metrics_path, current=current)
