"""Funds in the admin: every list scoped, every change through funds/services.py, the ledger
read-only. Statements and a person's aid are admin-hosted pages (see FundAdmin.get_urls)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery, Sum
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aidcenter.admin_base import ScopedAdmin
from aidcenter.errors import DomainError, Invalid
from aidcenter.roles import Action, can
from aidcenter.scope import scoped
from cases.models import Person
from funds import bank, batches, exports, loans, services, yearend
from funds.models import (
    Account,
    AidApplication,
    AidBatch,
    AidCap,
    AidDocument,
    AidType,
    Approval,
    BankFile,
    BankFileLine,
    BatchRun,
    ClosedYear,
    Fund,
    FundBudget,
    FundIncome,
    LedgerEntry,
    LedgerTransaction,
    Loan,
    LoanInstalment,
    Payment,
    PaymentMethod,
)


def _explain(request, exc: DomainError) -> None:
    if isinstance(exc, Invalid):
        text = "; ".join(m for msgs in exc.errors.values() for m in msgs)
    else:
        text = exc.message or exc.code
    messages.error(request, text)


class FormActionMixin:
    """Admin actions that first ask for an opinion, a fund or a reason, then apply per row."""

    def _each(self, request, queryset, work, done_message):
        done = 0
        for record in queryset:
            try:
                work(record)
                done += 1
            except DomainError as exc:
                _explain(request, exc)
        if done:
            messages.success(request, done_message % {"n": done})

    def _with_form(self, request, queryset, form_class, title, apply, **form_kwargs):
        if "apply" in request.POST:
            form = form_class(request.POST, **form_kwargs)
            if form.is_valid():
                apply(form.cleaned_data)
                return None
        else:
            form = form_class(**form_kwargs)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "queryset": queryset,
            "action": request.POST.get("action"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "funds/admin_action.html", context)


class ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Funds ----------------------------------------------------------------------------------
class PeriodForm(forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=1900, max_value=2999, required=False)


class CloseYearForm(forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=1900, max_value=2999)


@admin.register(Fund)
class FundAdmin(FormActionMixin, ScopedAdmin):
    write_action = Action.ADMINISTER
    list_display = ["code", "name", "org_unit", "source_kind", "balance", "is_active", "links"]
    list_filter = ["source_kind", "is_active", "requires_file"]
    search_fields = ["code", "name"]
    list_select_related = ["org_unit"]
    readonly_fields = ["balance", "version", "created_at", "updated_at"]
    fields = [
        "code",
        "name",
        "org_unit",
        "source_kind",
        "aid_types",
        "file_levels",
        "requires_file",
        "is_active",
        *services.FUND_RULES,
        "balance",
        "version",
        "updated_at",
    ]
    actions = ["close_year"]

    def get_queryset(self, request):
        balance = Account.objects.filter(fund=OuterRef("pk"), kind=Account.Kind.FUND)
        return (
            super().get_queryset(request).annotate(_balance=Subquery(balance.values("balance")[:1]))
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "code", "org_unit"] if obj else fields

    def has_change_permission(self, request, obj=None):
        return can(request.user, Action.USE_PAGES) and (
            can(request.user, Action.ADMINISTER) or can(request.user, Action.MANAGE_FUNDS)
        )

    @admin.display(description=_("balance"), ordering="_balance")
    def balance(self, obj):
        return getattr(obj, "_balance", None)

    @admin.display(description=_("statement"))
    def links(self, obj):
        url = reverse("admin:funds_fund_statement", args=[obj.code])
        return format_html('<a href="{}">{}</a>', url, gettext("statement"))

    def save_model(self, request, obj, form, change):
        try:
            if change:
                services.fund_update(by=request.user, fund=obj, data=form.cleaned_data)
            else:
                fund = services.fund_create(
                    by=request.user,
                    **{
                        k: form.cleaned_data[k]
                        for k in (
                            "org_unit",
                            "code",
                            "name",
                            "source_kind",
                            "aid_types",
                            "file_levels",
                            "requires_file",
                        )
                    },
                    **{k: form.cleaned_data[k] for k in services.FUND_RULES},
                )
                obj.pk = fund.pk
        except DomainError as exc:
            raise PermissionDenied(str(exc)) from exc

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<str:code>/statement/",
                view(self.statement_view),
                name="funds_fund_statement",
            ),
            path(
                "person/<uuid:pk>/aid/",
                view(self.person_aid_view),
                name="funds_person_aid",
            ),
            path("audit-pack/", view(self.audit_pack_view), name="funds_audit_pack"),
            *super().get_urls(),
        ]

    def statement_view(self, request, code):
        """A fund's statement for a year, on screen and as .xlsx (`?export=xlsx`)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        fund = get_object_or_404(scoped(request.user, Fund), code=code)
        form = PeriodForm(request.GET or None)
        year = (form.is_valid() and form.cleaned_data.get("year")) or services._today().year
        date_from, date_to = services.year_range(year)
        statement = services.fund_statement(fund=fund, date_from=date_from, date_to=date_to)
        if request.GET.get("export") == "xlsx":
            response = HttpResponse(exports.statement_xlsx(statement), content_type=exports.XLSX)
            response["Content-Disposition"] = f'attachment; filename="{fund.code}-{year}.xlsx"'
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Statement of %(fund)s, %(year)s") % {"fund": fund.name, "year": year},
            "fund": fund,
            "year": year,
            "statement": statement,
            "paid": [(AidType(t).label, v) for t, v in sorted(statement.paid_by_type.items())],
            "returned": [
                (AidType(t).label, v) for t, v in sorted(statement.returned_by_type.items())
            ],
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "funds/statement.html", context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not can(request.user, Action.MANAGE_FUNDS):
            actions.pop("close_year", None)
        return actions

    @admin.action(description=_("Close a year of the selected funds"))
    def close_year(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            CloseYearForm,
            gettext("Close a year of the selected funds"),
            lambda data: self._each(
                request,
                queryset,
                lambda f: yearend.year_close(by=request.user, fund=f, year=data["year"]),
                gettext("%(n)s fund year(s) closed."),
            ),
        )

    def audit_pack_view(self, request):
        """The auditors' pack for a year (`?year=`), over the funds in the user's scope."""
        if not self.has_view_permission(request) or not any(
            can(request.user, a)
            for a in (Action.MANAGE_FUNDS, Action.VIEW_HISTORY, Action.ADMINISTER)
        ):
            raise PermissionDenied
        form = PeriodForm(request.GET or None)
        year = (form.is_valid() and form.cleaned_data.get("year")) or services._today().year
        response = HttpResponse(
            yearend.audit_pack(user=request.user, year=year), content_type=exports.XLSX
        )
        response["Content-Disposition"] = f'attachment; filename="audit-{year}.xlsx"'
        return response

    def person_aid_view(self, request, pk):
        """Everything a person and their household received (the person's card links here)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        person = get_object_or_404(scoped(request.user, Person), pk=pk)
        aid = services.aid_received(user=request.user, person=person)
        if request.GET.get("export") == "xlsx":
            rows = aid["household"] or aid["person"]
            content = exports.payments_xlsx(rows, show_bank=services.sees_bank_data(request.user))
            response = HttpResponse(content, content_type=exports.XLSX)
            response["Content-Disposition"] = f'attachment; filename="aid-{person.pk}.xlsx"'
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Aid received by %(name)s") % {"name": person.name},
            "person": person,
            "aid": aid,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "funds/person_aid.html", context)


@admin.register(FundIncome)
class FundIncomeAdmin(ScopedAdmin):
    write_action = Action.MANAGE_FUNDS
    list_display = ["received_on", "fund", "source", "amount", "reference", "recorded_by"]
    list_filter = ["fund"]
    search_fields = ["source", "reference"]
    list_select_related = ["fund", "recorded_by"]
    date_hierarchy = "received_on"
    fields = ["fund", "source", "received_on", "amount", "reference"]
    actions = ["reverse_income"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "fund":
            kwargs["queryset"] = scoped(request.user, Fund)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        try:
            income = services.income_record(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            raise PermissionDenied(str(exc)) from exc
        obj.pk = income.pk

    @admin.action(description=_("Reverse the selected income (entered by mistake)"))
    def reverse_income(self, request, queryset):
        for income in queryset.select_related("fund", "transaction"):
            try:
                services.income_reverse(
                    by=request.user, income=income, reason=gettext("corrected in the admin")
                )
            except DomainError as exc:
                _explain(request, exc)


@admin.register(FundBudget)
class FundBudgetAdmin(ScopedAdmin):
    write_action = Action.MANAGE_FUNDS
    list_display = ["fund", "year", "aid_type", "amount"]
    list_filter = ["year", "aid_type"]
    list_select_related = ["fund"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "fund":
            kwargs["queryset"] = scoped(request.user, Fund)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        budget = services.budget_set(
            by=request.user, fund=obj.fund, year=obj.year, amount=obj.amount, aid_type=obj.aid_type
        )
        obj.pk = budget.pk


@admin.register(AidCap)
class AidCapAdmin(ScopedAdmin):
    write_action = Action.MANAGE_FUNDS
    list_display = ["org_unit", "year", "aid_type", "amount"]
    list_filter = ["year", "aid_type"]
    list_select_related = ["org_unit"]


# --- Applications ---------------------------------------------------------------------------
class ApprovalInline(admin.TabularInline):
    model = Approval
    extra = 0
    can_delete = False
    fields = ["by", "decision", "opinion", "at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class DocumentInline(admin.TabularInline):
    model = AidDocument
    extra = 0
    can_delete = False
    fields = ["kind", "original_name", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PayForm(forms.Form):
    fund = forms.ModelChoiceField(queryset=Fund.objects.none(), label=_("fund"))
    method = forms.ChoiceField(
        choices=[("", "—"), *PaymentMethod.choices], required=False, label=_("payment method")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fund"].queryset = scoped(user, Fund).filter(is_active=True)


class OpinionForm(forms.Form):
    opinion = forms.CharField(label=_("opinion"), widget=forms.Textarea, required=False)


@admin.register(AidApplication)
class AidApplicationAdmin(FormActionMixin, ScopedAdmin):
    list_display = [
        "applied_on",
        "person",
        "org_unit",
        "aid_type",
        "amount",
        "status",
        "repeat_in_period",
    ]
    list_filter = ["status", "aid_type", "repeat_in_period", "payment_method"]
    search_fields = ["person__name", "person__phone"]
    list_select_related = ["person", "org_unit"]
    raw_id_fields = ["person", "worker", "child"]
    date_hierarchy = "applied_on"
    inlines = [ApprovalInline, DocumentInline]
    readonly_fields = [
        "status",
        "entered_by",
        "required_approvals",
        "repeat_in_period",
        "school_year",
        "duplicate_elsewhere",
        "out_of_pocket",
        "version",
        "updated_at",
    ]
    actions = ["submit", "approve", "reject", "pay"]

    def get_fields(self, request, obj=None):
        fields = [
            "org_unit",
            "person",
            "worker",
            "aid_type",
            "amount",
            "reason",
            "applied_on",
            "payment_method",
            "payee_name",
            "bank_name",
            "bank_account",
            "school",
            "child",
            "grade",
            "invoice_total",
            "insurance_paid",
            "civil_affairs_paid",
            "term_months",
            "hires_laid_off",
            *self.readonly_fields,
        ]
        if obj is not None and not services.sees_bank_data(request.user):
            fields[fields.index("bank_account")] = "bank_account_masked"
        return fields

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None and not services.sees_bank_data(request.user):
            fields.append("bank_account_masked")
        if obj is not None and obj.status != AidApplication.Status.DRAFT:
            fields += [f for f in self.get_fields(request, obj) if f not in fields]
        return fields

    @admin.display(description=_("bank account"))
    def bank_account_masked(self, obj):
        return services.mask_account(obj.bank_account)

    def save_model(self, request, obj, form, change):
        data = {k: v for k, v in form.cleaned_data.items() if k in services.APPLICATION_FIELDS}
        if "child" in form.cleaned_data:
            data["child"] = form.cleaned_data["child"]
        try:
            if change:
                data.update(person=obj.person, worker=obj.worker, org_unit=obj.org_unit)
                services.application_update(by=request.user, application=obj, data=data)
            else:
                created = services.application_create(
                    by=request.user,
                    org_unit=obj.org_unit,
                    person=obj.person,
                    worker=obj.worker,
                    data=data,
                )
                obj.pk = created.pk
        except DomainError as exc:
            raise PermissionDenied(str(exc)) from exc

    @admin.action(description=_("Submit the selected applications"))
    def submit(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda a: services.application_submit(by=request.user, application=a),
            gettext("%(n)s application(s) submitted."),
        )

    @admin.action(description=_("Approve the selected applications"))
    def approve(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            OpinionForm,
            gettext("Approve the selected applications"),
            lambda data: self._each(
                request,
                queryset,
                lambda a: services.application_approve(
                    by=request.user, application=a, opinion=data["opinion"]
                ),
                gettext("%(n)s approval(s) recorded."),
            ),
        )

    @admin.action(description=_("Reject the selected applications"))
    def reject(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            OpinionForm,
            gettext("Reject the selected applications"),
            lambda data: self._each(
                request,
                queryset,
                lambda a: services.application_reject(
                    by=request.user, application=a, opinion=data["opinion"]
                ),
                gettext("%(n)s application(s) rejected."),
            ),
        )

    @admin.action(description=_("Pay the selected applications"))
    def pay(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            PayForm,
            gettext("Pay the selected applications"),
            lambda data: self._each(
                request,
                queryset,
                lambda a: services.application_pay(
                    by=request.user,
                    application=a,
                    fund=data["fund"],
                    method=data["method"] or None,
                ),
                gettext("%(n)s payment(s) made."),
            ),
            user=request.user,
        )


# --- Payments and the ledger (read-only) ----------------------------------------------------
class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("reason for reversal"), widget=forms.Textarea)
    failed_transfer = forms.BooleanField(label=_("bank transfer failed"), required=False)


@admin.register(Payment)
class PaymentAdmin(FormActionMixin, ReadOnlyAdmin):
    list_display = ["paid_on", "person", "aid_type", "amount", "fund", "method", "status"]
    list_filter = ["status", "aid_type", "method", "fund"]
    search_fields = ["person__name", "payee_name"]
    list_select_related = ["person", "fund"]
    date_hierarchy = "paid_on"
    actions = ["reverse"]

    def get_fields(self, request, obj=None):
        fields = [
            "org_unit",
            "application",
            "person",
            "worker",
            "fund",
            "aid_type",
            "amount",
            "method",
            "payee_name",
            "bank_name",
            "bank_account",
            "paid_on",
            "paid_by",
            "status",
            "transaction",
            "reversal",
            "failed_transfer",
            "reversal_reason",
            "reversed_by",
            "reversed_at",
        ]
        if not services.sees_bank_data(request.user):
            fields[fields.index("bank_account")] = "bank_account_masked"
        return fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("bank account"))
    def bank_account_masked(self, obj):
        return services.mask_account(obj.bank_account)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not can(request.user, Action.MANAGE_FUNDS):
            actions.pop("reverse", None)
        return actions

    @admin.action(description=_("Reverse the selected payments"))
    def reverse(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            ReverseForm,
            gettext("Reverse the selected payments"),
            lambda data: self._each(
                request,
                queryset.select_related("fund", "application", "transaction"),
                lambda p: services.payment_reverse(by=request.user, payment=p, **data),
                gettext("%(n)s payment(s) reversed."),
            ),
        )


class EntryInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    fields = ["account", "amount", "booked_on"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "booked_on", "fund", "kind", "aid_type", "memo", "reverses"]
    list_filter = ["kind", "aid_type", "fund"]
    list_select_related = ["fund"]
    date_hierarchy = "booked_on"
    inlines = [EntryInline]
    fields = ["fund", "kind", "aid_type", "booked_on", "memo", "reverses", "created_by"]
    readonly_fields = fields
    show_full_result_count = False


# --- Funds II: campaign batches, bank files, loans, closed years ----------------------------
class BatchRunInline(admin.TabularInline):
    model = BatchRun
    extra = 0
    can_delete = False
    fields = ["status", "done", "total", "error", "by", "queued_at", "finished_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class BatchBuildForm(forms.ModelForm):
    amount = forms.DecimalField(
        label=_("amount per household"),
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("Vouchers default to 50 yuan."),
    )

    class Meta:
        model = AidBatch
        fields = ["fund", "org_unit", "kind", "name", "month", "amount", "method"]


@admin.register(AidBatch)
class AidBatchAdmin(FormActionMixin, ScopedAdmin):
    """Campaign batches: built here from the rule, approved or rejected by a fund approver,
    paid by a fund manager in one go (a background task; its runs show the progress)."""

    write_action = Action.MANAGE_FUNDS
    form = BatchBuildForm
    list_display = ["name", "kind", "fund", "org_unit", "month", "status", "lines", "total"]
    list_filter = ["status", "kind"]
    list_select_related = ["fund", "org_unit"]
    inlines = [BatchRunInline]
    actions = ["approve", "reject", "pay", "export_xlsx"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs.annotate(_lines=Count("lines"), _total=Sum("lines__amount"))

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["fund", "org_unit", "kind", "name", "month", "amount", "method"]
        return [
            "name",
            "kind",
            "fund",
            "org_unit",
            "month",
            "amount",
            "method",
            "status",
            "built_by",
            "decided_by",
            "decided_at",
            "opinion",
            "paid_by",
            "last_error",
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "fund":
            kwargs["queryset"] = scoped(request.user, Fund).filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("households"), ordering="_lines")
    def lines(self, obj):
        return getattr(obj, "_lines", None)

    @admin.display(description=_("total"), ordering="_total")
    def total(self, obj):
        return getattr(obj, "_total", None)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            batch = batches.batch_build(
                by=request.user,
                fund=data["fund"],
                org_unit=data["org_unit"],
                kind=data["kind"],
                name=data["name"],
                month=data["month"],
                amount=data.get("amount"),
                method=data["method"],
            )
        except DomainError as exc:
            raise PermissionDenied(str(exc)) from exc
        obj.pk = batch.pk

    @admin.action(description=_("Approve the selected batches"))
    def approve(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            OpinionForm,
            gettext("Approve the selected batches"),
            lambda data: self._each(
                request,
                queryset,
                lambda b: batches.batch_approve(by=request.user, batch=b, opinion=data["opinion"]),
                gettext("%(n)s batch(es) approved."),
            ),
        )

    @admin.action(description=_("Reject the selected batches"))
    def reject(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            OpinionForm,
            gettext("Reject the selected batches"),
            lambda data: self._each(
                request,
                queryset,
                lambda b: batches.batch_reject(by=request.user, batch=b, opinion=data["opinion"]),
                gettext("%(n)s batch(es) rejected."),
            ),
        )

    @admin.action(description=_("Pay the selected batches"))
    def pay(self, request, queryset):
        self._each(
            request,
            queryset.select_related("fund"),
            lambda b: batches.batch_pay(by=request.user, batch=b),
            gettext("%(n)s batch(es) queued for payment."),
        )

    @admin.action(description=_("Export the per-person list (.xlsx)"))
    def export_xlsx(self, request, queryset):
        batch = queryset.select_related("fund").first()
        response = HttpResponse(
            exports.batch_xlsx(batch, batches.batch_lines(batch)), content_type=exports.XLSX
        )
        response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}.xlsx"'
        return response


class BankFileLineInline(admin.TabularInline):
    model = BankFileLine
    extra = 0
    can_delete = False
    fields = ["reference", "payment", "result", "message"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class BankResultForm(forms.Form):
    file = forms.FileField(label=_("the bank's result file (.csv or .xlsx)"))


@admin.register(BankFile)
class BankFileAdmin(ScopedAdmin):
    write_action = Action.MANAGE_FUNDS
    list_display = ["__str__", "fund", "layout", "status", "created_at", "links"]
    list_filter = ["status"]
    list_select_related = ["fund"]
    inlines = [BankFileLineInline]

    def get_fields(self, request, obj=None):
        return ["fund"] if obj is None else ["fund", "layout", "status", "created_by", "settled_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "fund":
            kwargs["queryset"] = scoped(request.user, Fund)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        try:
            bank_file = bank.bank_file_create(by=request.user, fund=form.cleaned_data["fund"])
        except DomainError as exc:
            raise PermissionDenied(str(exc)) from exc
        obj.pk = bank_file.pk

    @admin.display(description=_("file"))
    def links(self, obj):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:funds_bankfile_download", args=[obj.pk]),
            gettext("download"),
            reverse("admin:funds_bankfile_results", args=[obj.pk]),
            gettext("enter results"),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/download/", view(self.download_view), name="funds_bankfile_download"),
            path("<int:pk>/results/", view(self.results_view), name="funds_bankfile_results"),
            *super().get_urls(),
        ]

    def _get(self, request, pk) -> BankFile:
        if not can(request.user, Action.MANAGE_FUNDS):
            raise PermissionDenied
        return get_object_or_404(scoped(request.user, BankFile), pk=pk)

    def download_view(self, request, pk):
        content, content_type, name = bank.bank_file_content(self._get(request, pk))
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def results_view(self, request, pk):
        bank_file = self._get(request, pk)
        form = BankResultForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                counts = bank.bank_file_apply_results(
                    by=request.user,
                    bank_file=bank_file,
                    content=upload.read(),
                    filename=upload.name,
                )
            except DomainError as exc:
                _explain(request, exc)
            else:
                messages.success(
                    request,
                    gettext("%(done)s transfer(s) done, %(failed)s failed and reversed.") % counts,
                )
                return HttpResponseRedirect(reverse("admin:funds_bankfile_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Results of %(file)s") % {"file": bank_file},
            "form": form,
            "queryset": [bank_file],
            "opts": self.model._meta,
            "upload": True,
        }
        return TemplateResponse(request, "funds/admin_upload.html", context)


class InstalmentInline(admin.TabularInline):
    model = LoanInstalment
    extra = 0
    can_delete = False
    fields = ["number", "due_on", "amount", "paid"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class RepayForm(forms.Form):
    amount = forms.DecimalField(label=_("amount"), max_digits=12, decimal_places=2)
    paid_on = forms.DateField(label=_("paid on"), required=False)


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue instalments")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("with an overdue instalment"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            overdue = loans.overdue_instalments(user=request.user).values("loan_id")
            return queryset.filter(pk__in=overdue)
        return queryset


@admin.register(Loan)
class LoanAdmin(FormActionMixin, ReadOnlyAdmin):
    list_display = ["starts_on", "person", "fund", "principal", "repaid", "term_months", "status"]
    list_filter = ["status", OverdueFilter, "fund"]
    list_select_related = ["person", "fund"]
    search_fields = ["person__name"]
    inlines = [InstalmentInline]
    actions = ["repay"]
    fields = [
        "org_unit",
        "fund",
        "payment",
        "person",
        "principal",
        "repaid",
        "term_months",
        "starts_on",
        "status",
    ]
    readonly_fields = fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not can(request.user, Action.MANAGE_FUNDS):
            actions.pop("repay", None)
        return actions

    @admin.action(description=_("Record a repayment"))
    def repay(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            RepayForm,
            gettext("Record a repayment"),
            lambda data: self._each(
                request,
                queryset.select_related("fund"),
                lambda loan: loans.loan_repay(
                    by=request.user, loan=loan, amount=data["amount"], paid_on=data["paid_on"]
                ),
                gettext("%(n)s repayment(s) recorded."),
            ),
        )


@admin.register(ClosedYear)
class ClosedYearAdmin(ReadOnlyAdmin):
    list_display = ["fund", "year", "closing_balance", "closed_by", "closed_at"]
    list_filter = ["year"]
    list_select_related = ["fund", "closed_by"]
    fields = list_display
    readonly_fields = fields


def person_aid_url(person_id) -> str:
    """Where the person's card links for the aid they received."""
    return reverse("admin:funds_person_aid", args=[person_id])
