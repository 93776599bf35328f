"""The front-desk pages: one search box → the person's card → a short form to log the visit →
a printable receipt. For a known person that is three page loads, all by keyboard. Also the
case page and the caseworkers' queue. Thin: the rules are in cases/desk.py."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aidcenter.errors import DomainError
from aidcenter.models import AccessLog
from aidcenter.pii import log_access, sees_full_ids
from aidcenter.roles import Action, can
from aidcenter.scope import scoped
from cases import cards, desk, idnumbers, referrals, services
from cases.models import Case, Category, Channel, HouseholdMember, Person


class LogForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Need"), choices=Category.choices)
    summary = forms.CharField(label=gettext_lazy("Summary"), max_length=500)
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), choices=Channel.choices, initial=Channel.WALK_IN
    )
    urgency = forms.ChoiceField(
        label=gettext_lazy("Urgency"), choices=Case.Urgency.choices, initial=Case.Urgency.NORMAL
    )
    work_order_no = forms.CharField(
        label=gettext_lazy("12351 work order"), max_length=40, required=False
    )


class NewVisitorForm(forms.Form):
    new_name = forms.CharField(label=gettext_lazy("Name"), max_length=50, required=False)
    new_phone = forms.CharField(label=gettext_lazy("Phone"), max_length=20, required=False)
    new_national_id = forms.CharField(
        label=gettext_lazy("ID number"), max_length=32, required=False
    )


def _pages_only(request):
    if not can(request.user, Action.USE_PAGES):
        raise Http404


def _shown_id(user, person):
    if not person.national_id:
        return None
    return (
        person.national_id
        if sees_full_ids(user, person.org_unit_id)
        else idnumbers.mask(person.national_id)
    )


@login_required
def desk_page(request):
    """The front desk. GET: the search box. POST: the matches; exactly one opens the card."""
    _pages_only(request)
    q = request.POST.get("q", "").strip() if request.method == "POST" else ""
    context = {
        "q": q,
        "log_form": LogForm(),
        "visitor_form": NewVisitorForm(),
        "can_log": can(request.user, Action.ENTER),
    }
    if q:
        results = list(
            services.search_people(user=request.user, q=q).select_related("org_unit")[:20]
        )
        full = [p for p in results if p.national_id and sees_full_ids(request.user, p.org_unit_id)]
        if full:
            log_access(
                user=request.user,
                action=AccessLog.Action.SEARCH,
                model="cases.Person",
                count=len(full),
                path=request.path,
            )
        if len(results) == 1:
            return _card(request, results[0], context)
        for person in results:
            person.shown_id = _shown_id(request.user, person)
        context["results"] = results
        if not results and len(idnumbers.normalise(q)) == 18:
            try:
                context["lookup"] = services.person_lookup(user=request.user, national_id=q)
            except DomainError as exc:
                messages.error(request, exc.message)
            context["visitor_form"] = NewVisitorForm(
                initial={"new_national_id": idnumbers.normalise(q)}
            )
    return render(request, "cases/desk.html", context)


@login_required
def desk_person(request, pk):
    _pages_only(request)
    person = get_object_or_404(scoped(request.user, Person).select_related("org_unit"), pk=pk)
    return _card(
        request, person, {"log_form": LogForm(), "can_log": can(request.user, Action.ENTER)}
    )


def _card(request, person: Person, context: dict):
    """The person's card: file, open cases, and each service app's section."""
    if person.national_id and sees_full_ids(request.user, person.org_unit_id):
        log_access(
            user=request.user,
            action=AccessLog.Action.VIEW,
            model="cases.Person",
            record_id=str(person.pk),
            path=request.path,
        )
    membership = (
        HouseholdMember.objects.filter(person=person, deleted_at__isnull=True)
        .select_related("worker")
        .order_by("-file_active", "-worker__updated_at")
        .first()
    )
    open_cases = desk.with_deadline(
        scoped(request.user, Case).filter(person=person, status__in=desk.OPEN_STATUSES)
    ).order_by("current_deadline")
    context.update(
        person=person,
        shown_id=_shown_id(request.user, person),
        worker=membership.worker if membership else None,
        open_cases=open_cases,
        today=timezone.localdate(),
        sections=cards.render_context(user=request.user, person=person),
    )
    return render(request, "cases/desk_card.html", context)


@login_required
@require_POST
def desk_log(request):
    """Save the visit: for a known person, a new visitor, or an anonymous caller."""
    _pages_only(request)
    form, visitor = LogForm(request.POST), NewVisitorForm(request.POST)
    person = None
    if request.POST.get("person"):
        person = get_object_or_404(scoped(request.user, Person), pk=request.POST["person"])
    if not (form.is_valid() and visitor.is_valid()):
        messages.error(request, _("Please correct the errors below."))
        context = {"log_form": form, "visitor_form": visitor, "can_log": True}
        if person is not None:
            return _card(request, person, context)
        return render(request, "cases/desk.html", context)
    new_person = None
    if person is None and visitor.cleaned_data["new_name"]:
        new_person = {
            "name": visitor.cleaned_data["new_name"],
            "phone": visitor.cleaned_data["new_phone"],
            "national_id": visitor.cleaned_data["new_national_id"] or None,
        }
    try:
        case = desk.case_log(
            by=request.user,
            org_unit=request.user.staff.org_unit,
            data=form.cleaned_data,
            person=person,
            new_person=new_person,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        context = {"log_form": form, "visitor_form": visitor, "can_log": True}
        return (
            _card(request, person, context)
            if person
            else render(request, "cases/desk.html", context)
        )
    return redirect("cases:receipt", pk=case.pk)


@login_required
def receipt(request, pk):
    """The slip handed to the visitor: reference number, what was asked, the deadline."""
    _pages_only(request)
    case = get_object_or_404(
        scoped(request.user, Case).select_related("org_unit", "person", "received_by"), pk=pk
    )
    return render(request, "cases/receipt.html", {"case": case})


@login_required
def case_page(request, pk):
    _pages_only(request)
    case = get_object_or_404(
        desk.with_deadline(scoped(request.user, Case)).select_related(
            "org_unit", "person", "assignee", "received_by"
        ),
        pk=pk,
    )
    notes_allowed = desk.notes_readable_by(request.user, case)
    refs = desk.refresh_referrals(case.referrals.all())
    context = {
        "case": case,
        "today": timezone.localdate(),
        "notes_allowed": notes_allowed,
        "notes": case.notes.filter(deleted_at__isnull=True).select_related("created_by")
        if notes_allowed
        else [],
        "moves": case.moves.select_related("by"),
        "referrals": refs,
        "targets": referrals.targets(),
        "actions": [a for a in ("start", "resolve", "close", "reopen") if case.next_status(a)],
        "can_act": can(request.user, Action.ENTER),
    }
    return render(request, "cases/case.html", context)


@login_required
@require_POST
def case_act(request, pk, action):
    _pages_only(request)
    case = get_object_or_404(scoped(request.user, Case), pk=pk)
    by, post = request.user, request.POST
    try:
        if action in {"start", "resolve", "close", "reopen"}:
            desk.case_move(by=by, case=case, action=action, note=post.get("note", ""))
        elif action == "note":
            desk.note_add(by=by, case=case, body=post.get("body", ""))
        elif action in {"accept", "decline"}:
            desk.petition_decide(
                by=by, case=case, accept=action == "accept", note=post.get("note", "")
            )
        elif action == "extend":
            desk.petition_extend(
                by=by, case=case, days=_int(post.get("days")), reason=post.get("reason", "")
            )
        elif action == "follow-up":
            raw = post.get("satisfaction")
            desk.follow_up_record(
                by=by,
                case=case,
                satisfaction=_int(raw) if raw else None,
                remarks=post.get("remarks", ""),
            )
        elif action == "refer":
            data = {k[5:]: v for k, v in post.items() if k.startswith("data_")}
            desk.case_refer(by=by, case=case, target=post.get("target", ""), data=data)
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message or _("This is not allowed."))
    else:
        messages.success(request, _("Saved."))
    return redirect("cases:case", pk=case.pk)


def _int(raw) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


@login_required
def queue_page(request):
    """My queue: cases assigned to me and unassigned ones of my unit, overdue first; and the
    referrals no service has picked up."""
    _pages_only(request)
    return render(
        request,
        "cases/queue.html",
        {
            "cases": desk.queue(user=request.user)[:200],
            "stuck": desk.stuck_referrals(user=request.user),
            "today": timezone.localdate(),
        },
    )
