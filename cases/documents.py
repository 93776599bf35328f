"""Proof documents of a household file: checked and stored by aidcenter/uploads.py, served
only through a scoped view."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aidcenter import uploads
from aidcenter.errors import Invalid, Refused
from aidcenter.roles import Action, can
from cases.models import Worker, WorkerDocument

KINDS = WorkerDocument.Kind.choices


@transaction.atomic
def document_add(*, by, worker: Worker, kind: str, upload) -> WorkerDocument:
    if not can(by, Action.ENTER):
        raise Refused(_("Your role may not do this."))
    if kind not in WorkerDocument.Kind.values:
        raise Invalid({"kind": [_("Choose one of the listed kinds.")]})
    checked = uploads.check(upload)
    document = WorkerDocument(
        org_unit_id=worker.org_unit_id,
        worker=worker,
        kind=kind,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        uploaded_by=by,
    )
    uploads.store(document.file, upload, checked)
    document.save()
    if kind == WorkerDocument.Kind.CONSENT and worker.consent_signed_on is None:
        Worker.objects.filter(pk=worker.pk).update(consent_signed_on=timezone.localdate())
    return document
