"""Proof documents of a household file: type- and size-checked uploads kept under
PRIVATE_ROOT (outside the web root), served only through a scoped view."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aidcenter.errors import DomainError, Invalid, Refused
from aidcenter.roles import Action, can
from cases.models import Worker, WorkerDocument

MAX_SIZE = 10 * 1024 * 1024
KINDS = WorkerDocument.Kind.choices
# Recognised by their first bytes, not by the name or the browser's word for them.
SIGNATURES = {
    b"%PDF-": ("application/pdf", "pdf"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
}


def sniff(head: bytes) -> tuple[str, str] | None:
    for signature, kind in SIGNATURES.items():
        if head.startswith(signature):
            return kind
    return None


@transaction.atomic
def document_add(*, by, worker: Worker, kind: str, upload) -> WorkerDocument:
    if not can(by, Action.ENTER):
        raise Refused(_("Your role may not do this."))
    if kind not in WorkerDocument.Kind.values:
        raise Invalid({"kind": [_("Choose one of the listed kinds.")]})
    if upload.size > MAX_SIZE:
        raise Invalid({"file": [_("A document may be at most 10 MB.")]})
    if upload.size == 0:
        raise Invalid({"file": [_("The file is empty.")]})
    upload.seek(0)
    detected = sniff(upload.read(16))
    upload.seek(0)
    if detected is None:
        raise Invalid({"file": [_("Upload a PDF, JPEG or PNG file.")]})
    content_type, suffix = detected
    name = (upload.name or "document").rsplit("/", 1)[-1][:150]
    document = WorkerDocument(
        org_unit_id=worker.org_unit_id,
        worker=worker,
        kind=kind,
        original_name=name,
        content_type=content_type,
        size=upload.size,
        uploaded_by=by,
    )
    try:
        document.file.save(f"upload.{suffix}", upload, save=False)
    except OSError:
        raise DomainError(
            _("The document could not be stored (the disk may be full). Nothing was saved."),
            code="storage_failed",
        ) from None
    document.save()
    if kind == WorkerDocument.Kind.CONSENT and worker.consent_signed_on is None:
        Worker.objects.filter(pk=worker.pk).update(consent_signed_on=timezone.localdate())
    return document
