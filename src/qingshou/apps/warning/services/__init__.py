"""Services of the warning app: the events loader (``events``), the EOD steps (``eod``), the watch list
(``watchlist``) and the settings (``warning_settings``)."""

from __future__ import annotations

from django.conf import settings

from qingshou.risk.warning import WarningSettings


def warning_settings() -> WarningSettings:
    """The rules' thresholds: ``QINGSHOU_WARNING`` over the defaults of ``risk.warning.WarningSettings``."""
    return WarningSettings.of(getattr(settings, "QINGSHOU_WARNING", None))
