"""Display names of the write-off grounds (``domain.writeoff.Ground``)."""

from __future__ import annotations

from typing import Final

from django.utils.translation import gettext_lazy as _

GROUND_LABELS: Final = {
    "loss_class": _("loss class (损失)"),
    "enforcement_terminated": _("enforcement terminated without recovery (终本)"),
    "debtor_deceased": _("debtor deceased"),
    "debtor_bankrupt": _("debtor bankrupt"),
    "limitation_expired": _("limitation expired"),
    "small_balance": _("small balance long overdue"),
}
