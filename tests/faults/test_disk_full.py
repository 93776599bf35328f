"""A full disk on upload: a clear message, no record, no partial file (issue #11, item 5).

PRIVATE_ROOT points at a 64 KiB tmpfs mounted for the test (the tests run as root, as in CI);
writing a larger document there fails with ENOSPC inside Django's storage."""

from __future__ import annotations

import os
import subprocess

import pytest
from django.utils import translation

from cases.models import WorkerDocument
from tests.funds.factories import WorkerFactory

PDF = b"%PDF-1.4\n" + b"0" * 200_000 + b"\n%%EOF\n"


@pytest.fixture
def tiny_disk(tmp_path, settings):
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"cannot mount a tmpfs for the test: {done.stderr}"
    settings.MEDIA_ROOT = settings.PRIVATE_ROOT = mount
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def _files(root) -> list[str]:
    return [os.path.join(d, f) for d, _dirs, names in os.walk(root) for f in names]


def test_a_full_disk_refuses_the_upload_clearly_and_keeps_nothing(tiny_disk, units, staff, api):
    worker = WorkerFactory(org_unit=units.a)
    client = api(staff.desk_a)
    with open(tiny_disk / "filler", "wb") as filler:  # the disk is nearly full already
        filler.write(b"x" * 16_000)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("income.pdf", PDF, content_type="application/pdf")
    with translation.override("zh-hans"):
        response = client.post(
            f"/api/v1/workers/{worker.pk}/documents/",
            {"kind": "income", "file": upload},
            format="multipart",
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    assert response.status_code == 507, response.content
    body = response.json()
    assert body["code"] == "storage_full"
    assert body["detail"]  # a sentence for the clerk (Chinese once the catalogue is merged)
    assert not WorkerDocument.objects.filter(worker=worker).exists()
    assert _files(tiny_disk) == [str(tiny_disk / "filler")]  # no partial file left behind

    # Room again: the same upload goes through.
    os.remove(tiny_disk / "filler")
    small = SimpleUploadedFile("income.pdf", PDF[:20_000], content_type="application/pdf")
    response = client.post(
        f"/api/v1/workers/{worker.pk}/documents/",
        {"kind": "income", "file": small},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert WorkerDocument.objects.filter(worker=worker).count() == 1
