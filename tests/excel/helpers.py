"""Helpers of the Excel tests: workbooks built and read back."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook


def read(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def body(response) -> bytes:
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def workbook_bytes(rows: list[list], *, title: str = "Sheet") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
