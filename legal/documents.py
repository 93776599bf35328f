"""Documents of a legal case's stages (applications, evidence, agreements, awards, judgments):
type- and size-checked uploads kept under PRIVATE_ROOT (outside the web root), recognised by
their first bytes, stored under random names."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from aidcenter import uploads
from aidcenter.errors import Invalid, Refused
from aidcenter.roles import Action, can
from legal.models import LegalCase, LegalDocument, Stage


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
    checked = uploads.check(upload)
    document = LegalDocument(
        legal_case=legal_case,
        org_unit_id=legal_case.org_unit_id,
        stage=stage,
        kind=kind,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        uploaded_by=by,
    )
    uploads.store(document.file, upload, checked)
    document.save()
    return document
