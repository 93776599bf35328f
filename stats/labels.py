"""What the dashboard calls each figure (English msgids; the UI shows the Chinese)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cases.models import Channel, Worker
from funds.models import AidType

SECTIONS = {
    "registry": _("Hardship-worker registry"),
    "aid": _("Aid paid"),
    "cases": _("Front desk cases"),
    "jobs": _("Job placement"),
    "training": _("Skills training"),
    "legal": _("Legal aid"),
    "funds": _("Funds"),
}

LABELS = {
    "registry.registered": _("files registered at the end"),
    "registry.migrant": _("of them migrant workers"),
    "registry.new": _("new files approved"),
    "registry.lifted": _("files lifted out of hardship"),
    "registry.closed": _("files closed"),
    "aid.persons": _("people aided"),
    "aid.person_times": _("aid person-times"),
    "aid.amount": _("aid amount (yuan)"),
    "cases.received": _("cases received"),
    "cases.resolved": _("of them resolved by the end"),
    "cases.overdue": _("open past a deadline at the end"),
    "cases.answered_late": _("resolved after a deadline"),
    "cases.satisfaction_avg": _("average satisfaction (1–5)"),
    "jobs.fairs": _("job fairs held"),
    "jobs.positions": _("positions offered"),
    "jobs.guidance_person_times": _("guidance person-times"),
    "jobs.intents": _("intents reached"),
    "jobs.intents_migrant": _("intents of migrant workers"),
    "jobs.placements": _("placements"),
    "training.classes": _("classes started"),
    "training.trainees": _("trainees"),
    "training.trainees_migrant": _("migrant trainees"),
    "training.certificates": _("certificates issued"),
    "legal.cases": _("legal cases opened"),
    "legal.closed": _("legal cases closed"),
    "legal.amount_recovered": _("wages recovered (yuan)"),
    "legal.migrant_cases": _("cases of migrant workers"),
    "funds.income": _("income (yuan)"),
    "funds.spent": _("spent (yuan)"),
    "funds.balance": _("balance at the end (yuan)"),
}
for _value, _label in Worker.Level.choices:
    LABELS[f"registry.by_level.{_value}"] = _label
for _value, _label in Worker.Cause.choices:
    LABELS[f"registry.by_main_cause.{_value}"] = _label
for _value, _label in Channel.choices:
    LABELS[f"cases.by_channel.{_value}"] = _label
for _value, _label in AidType.choices:
    LABELS[f"aid.by_type.{_value}"] = _label

# Monthly trend charts: one per section, each with a few lines.
CHARTS = {
    "registry": ("registry.registered", "registry.new"),
    "aid": ("aid.person_times", "aid.persons"),
    "cases": ("cases.received", "cases.resolved"),
    "jobs": ("jobs.intents", "jobs.placements"),
    "training": ("training.trainees", "training.certificates"),
    "legal": ("legal.cases", "legal.closed"),
    "funds": ("funds.income", "funds.spent"),
}

# Columns of the table by sub-center.
TABLE = (
    "registry.registered",
    "registry.new",
    "aid.person_times",
    "aid.amount",
    "cases.received",
    "cases.overdue",
    "jobs.placements",
    "training.trainees",
    "legal.cases",
)
