"""The one rule for uploaded documents (proof documents, legal evidence, admission letters):
PDF, JPEG or PNG recognised by their first bytes — not by the file name or the browser's word
for it — at most 10 MB, stored under a random name below PRIVATE_ROOT."""

from __future__ import annotations

import contextlib
import errno
from dataclasses import dataclass

from django.utils.translation import gettext as _

from aidcenter.errors import DomainError, Invalid

MAX_SIZE = 10 * 1024 * 1024
SIGNATURES = {
    b"%PDF-": ("application/pdf", "pdf"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
}


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    suffix: str
    original_name: str  # for display only; never part of the stored path
    size: int


def sniff(head: bytes) -> tuple[str, str] | None:
    for signature, kind in SIGNATURES.items():
        if head.startswith(signature):
            return kind
    return None


def check(upload) -> CheckedUpload:
    """Refuse (Invalid, on the `file` field) anything but a non-empty PDF/JPEG/PNG ≤ 10 MB."""
    if upload.size > MAX_SIZE:
        raise Invalid({"file": [_("A document may be at most 10 MB.")]})
    if upload.size == 0:
        raise Invalid({"file": [_("The file is empty.")]})
    upload.seek(0)
    detected = sniff(upload.read(16))
    upload.seek(0)
    if detected is None:
        raise Invalid({"file": [_("Upload a PDF, JPEG or PNG file.")]})
    name = (upload.name or "document").replace("\\", "/").rsplit("/", 1)[-1]
    return CheckedUpload(detected[0], detected[1], name.replace("\x00", "")[:150], upload.size)


class StorageFull(DomainError):
    """No room left where documents are kept (API: 507 Insufficient Storage)."""

    status = 507
    code = "storage_full"


def store(field_file, upload, checked: CheckedUpload) -> None:
    """Save the bytes under a generated name. A full disk (ENOSPC, or a quota: EDQUOT) is a
    clear refusal, not a 500, and leaves no partial file behind; so is any other failure to
    write. The caller's transaction then saves no record either."""
    storage = field_file.storage
    name = storage.get_available_name(
        field_file.field.generate_filename(field_file.instance, f"upload.{checked.suffix}"),
        max_length=field_file.field.max_length,
    )
    try:
        saved = storage.save(name, upload, max_length=field_file.field.max_length)
    except OSError as exc:
        with contextlib.suppress(OSError):
            storage.delete(name)  # the part written before the disk filled up
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageFull(
                _(
                    "The disk where documents are kept is full, so the document was not saved. "
                    "Nothing was saved; please tell the administrator."
                )
            ) from None
        raise DomainError(
            _("The document could not be stored (the disk may be full). Nothing was saved."),
            code="storage_failed",
        ) from None
    field_file.name = saved
    setattr(field_file.instance, field_file.field.attname, saved)
    field_file._committed = True
