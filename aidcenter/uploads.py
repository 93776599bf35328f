"""The one rule for uploaded documents (proof documents, legal evidence, admission letters):
PDF, JPEG or PNG recognised by their first bytes — not by the file name or the browser's word
for it — at most 10 MB, stored under a random name below PRIVATE_ROOT."""

from __future__ import annotations

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


def store(field_file, upload, checked: CheckedUpload) -> None:
    """Save the bytes under a generated name; a full disk is a clear refusal, not a 500."""
    try:
        field_file.save(f"upload.{checked.suffix}", upload, save=False)
    except OSError:
        raise DomainError(
            _("The document could not be stored (the disk may be full). Nothing was saved."),
            code="storage_failed",
        ) from None
