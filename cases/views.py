"""Staff pages of the registry: the people search, the person's page (card, file, workflow,
history) and the file's workflow actions. Thin: every rule is in cases/services.py."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aidcenter.errors import DomainError, Invalid
from aidcenter.models import AccessLog
from aidcenter.pii import log_access, sees_full_ids
from aidcenter.roles import Action, can
from aidcenter.scope import scoped
from cases import idnumbers, services
from cases.history import history_rows
from cases.models import FileTransfer, HouseholdMember, Person, Worker, WorkerDocument


def _require_pages(request):
    if not can(request.user, Action.USE_PAGES):
        raise Http404


@login_required
def search(request):
    """One box: ID number (full or the last 4–6 characters), name or phone. Posted, so an ID
    number never enters a URL or a log line."""
    _require_pages(request)
    q = request.POST.get("q", "").strip() if request.method == "POST" else ""
    results, lookup = [], None
    if q:
        people = services.search_people(user=request.user, q=q).select_related("org_unit")[:50]
        results = list(people)
        full = [p for p in results if p.national_id and sees_full_ids(request.user, p.org_unit_id)]
        if full:
            log_access(
                user=request.user,
                action=AccessLog.Action.SEARCH,
                model="cases.Person",
                count=len(full),
                path=request.path,
            )
        for person in results:
            person.shown_id = _shown_id(request.user, person)
        if not results and len(idnumbers.normalise(q)) == 18:
            try:
                lookup = services.person_lookup(user=request.user, national_id=q)
            except Invalid as exc:
                messages.error(request, exc.message)
    return render(request, "cases/search.html", {"q": q, "results": results, "lookup": lookup})


def _shown_id(user, person: Person) -> str | None:
    if not person.national_id:
        return None
    return (
        person.national_id
        if sees_full_ids(user, person.org_unit_id)
        else idnumbers.mask(person.national_id)
    )


@login_required
def person_page(request, pk):
    """Everything about one person on one page: identity, household file, workflow, history."""
    _require_pages(request)
    person = get_object_or_404(scoped(request.user, Person).select_related("org_unit"), pk=pk)
    full = sees_full_ids(request.user, person.org_unit_id)
    if full and person.national_id:
        log_access(
            user=request.user,
            action=AccessLog.Action.VIEW,
            model="cases.Person",
            record_id=str(person.pk),
            path=request.path,
        )
    membership = (
        HouseholdMember.objects.filter(person=person, deleted_at__isnull=True)
        .select_related("worker__org_unit", "worker__person")
        .order_by("-file_active", "-worker__updated_at")
        .first()
    )
    worker = (
        membership.worker
        if membership and scoped(request.user, Worker).filter(pk=membership.worker_id).exists()
        else None
    )
    context = {
        "person": person,
        "shown_id": _shown_id(request.user, person),
        "worker": worker,
        "show_health": can(request.user, Action.ENTER) or can(request.user, Action.REVIEW_FILES),
    }
    if worker is not None:
        members = list(
            worker.members.filter(deleted_at__isnull=True)
            .select_related("person")
            .order_by("relation")
        )
        for member in members:
            member.shown_id = _shown_id(request.user, member.person)
        context.update(
            members=members,
            timeline=worker.timeline.select_related("by").order_by("-at"),
            documents=worker.documents.all(),
            objections=worker.objections.all(),
            transfers=FileTransfer.objects.filter(worker=worker).select_related(
                "to_unit", "from_unit"
            ),
            actions=_actions_for(request.user, worker),
            line=services.living_line_for(org_unit=worker.org_unit, year=timezone.localdate().year),
            end_reasons=Worker.EndReason.choices,
            today=timezone.localdate(),
        )
        context["computed_level"] = worker.computed_level(context["line"])
    context["history"] = history_rows(
        [person, worker], full_ids=full, show_health=context["show_health"]
    )
    return render(request, "cases/person.html", context)


def _actions_for(user, worker: Worker) -> list[str]:
    """The workflow buttons this user may press on this file now."""
    available = []
    rights = {
        "submit": Action.ENTER,
        "approve": Action.REVIEW_FILES,
        "reject": Action.REVIEW_FILES,
        "lift": Action.REVIEW_FILES,
        "close": Action.REVIEW_FILES,
        "reopen": Action.ENTER,
    }
    for action, right in rights.items():
        if worker.next_status(action) and can(user, right):
            available.append(action)
    if worker.status == Worker.Status.REGISTERED and can(user, Action.RUN_SERVICES):
        available.append("review")
    return available


@login_required
@require_POST
def file_action(request, pk, action):
    _require_pages(request)
    worker = get_object_or_404(scoped(request.user, Worker), pk=pk)
    by, post = request.user, request.POST
    try:
        if action == "submit":
            services.worker_submit(by=by, worker=worker)
        elif action == "approve":
            services.worker_approve(by=by, worker=worker, opinion=post.get("opinion", ""))
        elif action == "reject":
            services.worker_reject(by=by, worker=worker, opinion=post.get("opinion", ""))
        elif action in {"lift", "close"}:
            on = _date(post.get("on"))
            getattr(services, f"worker_{action}")(
                by=by,
                worker=worker,
                reason=post.get("reason", ""),
                on=on,
                note=post.get("opinion", ""),
            )
        elif action == "reopen":
            services.worker_reopen(by=by, worker=worker, note=post.get("opinion", ""))
        elif action == "review":
            services.worker_review(
                by=by, worker=worker, on=_date(post.get("on")), note=post.get("opinion", "")
            )
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message or _("This is not allowed."))
    else:
        messages.success(request, _("Saved."))
    return redirect("cases:person", pk=worker.person_id)


def _date(raw: str | None) -> datetime.date:
    try:
        return datetime.date.fromisoformat(raw or "")
    except ValueError:
        raise Invalid({"on": [_("Enter a date as YYYY-MM-DD.")]}) from None


@login_required
def document(request, pk):
    """A proof document, to staff whose scope holds its file; every opening is logged."""
    _require_pages(request)
    doc = get_object_or_404(scoped(request.user, WorkerDocument), pk=pk)
    log_access(
        user=request.user,
        action=AccessLog.Action.DOCUMENT,
        model="cases.WorkerDocument",
        record_id=str(doc.pk),
        path=request.path,
    )
    response = FileResponse(doc.file.open("rb"), content_type=doc.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    return response
