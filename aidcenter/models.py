"""What every app shares: the org-unit tree, staff (one role at one unit), API keys, and the
change-capture table the triggers of aidcenter/sync.py write."""

from __future__ import annotations

import hashlib
import secrets
import uuid

import pghistory
import pgtrigger
from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aidcenter.roles import Role
from aidcenter.sync import BumpVersion, CaptureChange, Versioned


class OrgUnit(Versioned):
    """A node of the tree: city → district → sub-center (street, industry, park) → aid point."""

    class Kind(models.TextChoices):
        CITY = "city", _("City")
        DISTRICT = "district", _("District")
        STREET = "street", _("Street / town")
        INDUSTRY = "industry", _("Industry union")
        PARK = "park", _("Economic park")
        AID_POINT = "aid_point", _("Aid point")

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9]+(-[A-Z0-9]+)*$", _("Use A–Z, 0–9 and hyphens."))],
        help_text=_("Stable code used by the API and in reference numbers, e.g. PT-CS."),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )

    class Meta(Versioned.Meta):
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["code"]
        # A unit's change belongs to the unit itself (its subtree's callers see it).
        triggers = [BumpVersion(), CaptureChange(org_unit_column="id")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="city") | models.Q(parent__isnull=False),
                name="orgunit_only_city_is_root",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_sub_center(self) -> bool:
        return self.kind in {self.Kind.STREET, self.Kind.INDUSTRY, self.Kind.PARK}


@pghistory.track()
class StaffProfile(models.Model):
    """A staff user's one role at one unit (DESIGN.md: "A user has one role at one unit")."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="staff", verbose_name=_("unit")
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user.get_username()} · {self.get_role_display()} · {self.org_unit}"


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """An API key. Only its SHA-256 digest is stored; the key itself is shown once."""

    PREFIX = "aid_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_keys",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(_("key starts with"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.hint}… ({self.user.get_username()})"

    @staticmethod
    def digest_of(key: str) -> str:
        # The key carries 256 bits of randomness, so a plain SHA-256 is a sound digest for it
        # (no salt or slow hash is needed against guessing, unlike a password).
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

    @classmethod
    def issue(cls, *, user, name: str = "") -> tuple[ApiKey, str]:
        key = cls.PREFIX + secrets.token_urlsafe(32)
        record = cls.objects.create(user=user, name=name, digest=cls.digest_of(key), hint=key[:12])
        return record, key

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class Xid8Field(models.Field):
    """PostgreSQL's 64-bit, wraparound-free transaction id."""

    def db_type(self, connection):
        return "xid8"

    def from_db_value(self, value, expression, connection):
        return None if value is None else int(value)

    def get_prep_value(self, value):
        return None if value is None else str(value)


class Change(models.Model):
    """One row per change of a Versioned record, written by the capture_change trigger only."""

    id = models.BigAutoField(primary_key=True)
    txid = Xid8Field(db_default=models.Func(function="pg_current_xact_id"))
    table_name = models.CharField(max_length=63)
    record_id = models.CharField(max_length=64)
    op = models.CharField(max_length=6)  # 'upsert' | 'delete'
    version = models.PositiveIntegerField()
    old_org_unit_id = models.BigIntegerField(null=True)
    new_org_unit_id = models.BigIntegerField(null=True)
    changed_at = models.DateTimeField(db_default=models.Func(function="now"))

    class Meta:
        verbose_name = _("captured change")
        verbose_name_plural = _("captured changes")
        indexes = [
            models.Index(fields=["table_name", "record_id"], name="change_record_idx"),
            # The feed walks (txid, id) from a cursor; per unit for sub-center callers.
            models.Index(fields=["txid", "id"], name="change_feed_idx"),
            models.Index(fields=["new_org_unit_id", "txid", "id"], name="change_feed_unit_idx"),
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.table_name}:{self.record_id} v{self.version} {self.op}"


class AccessLog(models.Model):
    """Who saw full personal data (PIPL): one row per full view of a record, and one row per
    list, export or feed pull that carried full ID numbers, with the record count."""

    class Action(models.TextChoices):
        VIEW = "view", _("viewed a record")
        LIST = "list", _("listed records")
        SEARCH = "search", _("searched")
        LOOKUP = "lookup", _("city-wide ID lookup")
        EXPORT = "export", _("exported")
        FEED = "feed", _("pulled the change feed")
        DOCUMENT = "document", _("opened a proof document")
        ERASE = "erase", _("erased a person's personal data")

    at = models.DateTimeField(_("at"), default=timezone.now, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    model = models.CharField(_("record type"), max_length=60)
    record_id = models.CharField(_("record"), max_length=64, blank=True)
    count = models.PositiveIntegerField(_("records"), default=1)
    path = models.CharField(_("page or endpoint"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "at"], name="accesslog_user_at")]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.model}"


def _excel_path(job, filename: str) -> str:
    return f"excel/{job.pk}.xlsx"


class ExcelJob(models.Model):
    """An export or import too large to run inside a request: run by the task worker, with its
    progress, and its file (the workbook written, or the workbook uploaded) reachable only by
    the user who asked for it (aidcenter/exports.py, aidcenter/imports.py)."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("export")
        IMPORT = "import", _("import")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    source = models.CharField(max_length=60)
    params = models.JSONField(default=dict, blank=True)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("rows"), default=0)
    done = models.PositiveIntegerField(_("rows done"), default=0)
    file = models.FileField(upload_to=_excel_path, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    result = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Excel job")
        verbose_name_plural = _("Excel jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "created_at"], name="exceljob_user_created")]

    def __str__(self) -> str:
        return self.title

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0
