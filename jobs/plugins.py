"""How job placement plugs into the front desk (cases.referrals) and the person's card
(cases.cards): a referred case registers the person as a job seeker (or links the existing
registration); the card shows the registration, intents and placements."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from aidcenter.roles import Action, can
from aidcenter.scope import scoped
from jobs import services
from jobs.models import JobSeeker


def refer(*, by, case, data: dict) -> str:
    existing = JobSeeker.objects.filter(person=case.person, deleted_at__isnull=True).first()
    if existing is not None:
        return str(existing.pk)  # one registration per person: the referral follows it
    seeker = services.seeker_register(
        by=by,
        person=case.person,
        org_unit=case.org_unit,
        desired_job=(data.get("desired_job") or "")[:100],
        notes=f"{case.reference}：{case.summary}",
    )
    return str(seeker.pk)


def progress(ids: list[str]) -> dict[str, tuple[str, str]]:
    rows = JobSeeker.objects.filter(pk__in=ids).annotate(
        n_guidance=Count("guidance", distinct=True),
        n_intents=Count("intents", distinct=True),
        n_placed=Count("placements", distinct=True),
    )
    answers = {}
    for seeker in rows:
        if seeker.n_placed:
            answers[str(seeker.pk)] = ("done", str(_("placed in a job")))
        elif seeker.n_guidance or seeker.n_intents:
            answers[str(seeker.pk)] = ("picked_up", str(_("guidance or intents recorded")))
        else:
            answers[str(seeker.pk)] = ("sent", str(_("registered as a job seeker")))
    return answers


def card(*, user, person) -> dict | None:
    if not can(user, Action.READ):
        return None
    seekers = list(
        scoped(user, JobSeeker)
        .filter(person=person)
        .annotate(
            n_intents=Count("intents", distinct=True), n_placed=Count("placements", distinct=True)
        )
    )
    return {"seekers": seekers}


def register() -> None:
    from aidcenter import home
    from cases import cards, referrals

    referrals.register(
        referrals.Target(
            key="jobs",
            label=_("Job placement"),
            record_label="jobs.JobSeeker",
            create=refer,
            progress=progress,
            inputs=[("desired_job", _("desired job"), "text")],
        )
    )
    cards.register(
        cards.Section(
            key="jobs", title=_("Job seeking"), template="jobs/card_jobs.html", context=card
        )
    )
    home.register_link(
        home.Link(
            _("Vacancies and matching"),
            "jobs:vacancies",
            Action.USE_PAGES,
            _("Open vacancies; for a vacancy the seekers who fit, for a seeker the vacancies."),
            40,
        )
    )
