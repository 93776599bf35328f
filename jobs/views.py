"""Staff pages of job placement: open vacancies, and matching both ways — a seeker's fitting
vacancies (record an intent) and a vacancy's fitting seekers (place one). Thin: the rules
and the ranking are in jobs/services.py; a full vacancy is refused there (and by the
database), and the page says so."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from aidcenter.errors import DomainError
from aidcenter.roles import Action, can
from aidcenter.scope import scoped
from jobs import services
from jobs.models import JobSeeker, Placement, Vacancy


def _require_pages(request):
    if not can(request.user, Action.USE_PAGES):
        raise Http404


def _with_reasons(records):
    for record in records:
        record.reasons = services.reasons_of(record)
    return records


@login_required
def vacancy_list(request):
    _require_pages(request)
    q = request.GET.get("q", "").strip()[:50]
    status = request.GET.get("status", Vacancy.Status.OPEN)
    vacancies = scoped(request.user, Vacancy).select_related("employer", "org_unit", "job_fair")
    if status in Vacancy.Status.values:
        vacancies = vacancies.filter(status=status)
    if q:
        vacancies = vacancies.filter(Q(title__icontains=q) | Q(employer__name__icontains=q))
    page = Paginator(vacancies.order_by("-opened_on", "id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "jobs/vacancies.html",
        {"page": page, "q": q, "status": status, "statuses": Vacancy.Status.choices},
    )


@login_required
def vacancy_page(request, pk):
    _require_pages(request)
    vacancy = get_object_or_404(
        scoped(request.user, Vacancy).select_related("employer", "org_unit", "job_fair"), pk=pk
    )
    seekers = _with_reasons(list(services.match_seekers(user=request.user, vacancy=vacancy)))
    placements = (
        scoped(request.user, Placement)
        .filter(vacancy=vacancy, deleted_at__isnull=True)
        .select_related("seeker__person", "org_unit")
    )
    return render(
        request,
        "jobs/vacancy.html",
        {
            "vacancy": vacancy,
            "seekers": seekers,
            "placements": placements,
            "can_act": can(request.user, Action.RUN_SERVICES),
        },
    )


@login_required
def seeker_page(request, pk):
    _require_pages(request)
    seeker = get_object_or_404(
        scoped(request.user, JobSeeker)
        .select_related("person", "org_unit")
        .annotate(n_guidance=Count("guidance", distinct=True)),
        pk=pk,
    )
    # Vacancies are public (Vacancy.scope_path is None): a seeker may take a job anywhere.
    matches = _with_reasons(list(services.match_vacancies(seeker=seeker)))
    return render(
        request,
        "jobs/seeker.html",
        {
            "seeker": seeker,
            "matches": matches,
            "intents": seeker.intents.filter(deleted_at__isnull=True).select_related(
                "vacancy__employer"
            ),
            "placements": seeker.placements.filter(deleted_at__isnull=True).select_related(
                "vacancy__employer"
            ),
            "can_act": can(request.user, Action.RUN_SERVICES),
        },
    )


@login_required
@require_POST
def record_intent(request, pk, vacancy_pk):
    _require_pages(request)
    seeker = get_object_or_404(scoped(request.user, JobSeeker), pk=pk)
    vacancy = get_object_or_404(Vacancy.objects.filter(status=Vacancy.Status.OPEN), pk=vacancy_pk)
    try:
        services.intent_record(
            by=request.user, seeker=seeker, vacancy=vacancy, reached_on=timezone.localdate()
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{vacancy.employer.name} · {vacancy.title} ✓")
    return redirect("jobs:seeker", pk=seeker.pk)


@login_required
@require_POST
def place(request, pk, seeker_pk):
    _require_pages(request)
    vacancy = get_object_or_404(scoped(request.user, Vacancy), pk=pk)
    seekers = scoped(request.user, JobSeeker).select_related("person")
    seeker = get_object_or_404(seekers, pk=seeker_pk)
    try:
        services.placement_create(
            by=request.user, seeker=seeker, vacancy=vacancy, started_on=timezone.localdate()
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{seeker.person.name} ✓")
    return redirect("jobs:vacancy", pk=vacancy.pk)
