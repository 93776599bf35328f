"""Documents of a legal case's stages (applications, evidence, agreements, awards, judgments):
type- and size-checked uploads kept under PRIVATE_ROOT (outside the web root), recognised by
their first bytes, stored under random names."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from aidcenter.errors import DomainError, Invalid, Refused
from aidcenter.roles import Action, can
from legal.models import LegalCase, LegalDocument, Stage

MAX_SIZE = 10 * 1024 * 1024
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
def document_add(
    *, by, legal_case: LegalCase, kind: str, upload, stage: str | None = None
) -> LegalDocument:
    """File a document under a stage the case has reached (by default its current one)."""
    if not can(by, Action.RUN_SERVICES):
        raise Refused(_("Your role may not do this."))
    if kind not in LegalDocument.Kind.values:
        raise Invalid({"kind": [_("Choose one of the listed kinds.")]})
    stage = stage or legal_case.stage
    if stage not in Stage.values or not legal_case.stages.filter(stage=stage).exists():
        raise Invalid({"stage": [_("Choose a stage this case has reached.")]})
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
    name = (upload.name or "document").replace("\\", "/").rsplit("/", 1)[-1][:150]
    document = LegalDocument(
        legal_case=legal_case,
        org_unit_id=legal_case.org_unit_id,
        stage=stage,
        kind=kind,
        original_name=name.replace("\x00", ""),
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
    return document
