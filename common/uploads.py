"""The one limit on what a client may send: MAX_UPLOAD_BYTES, for every upload path (pages and the API).

A body that says it is larger is refused before anything reads it (413, naming the limit); a body sent
without a length (chunked) is counted as it arrives and refused once it passes the limit, so no upload
is read whole before its size is known and nothing half-parsed reaches a form or a service.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse


def _too_large(size: int) -> str:
    limit = settings.MAX_UPLOAD_BYTES
    return (
        f"The request is {size:,} bytes; at most {limit:,} bytes are accepted (MAX_UPLOAD_BYTES). "
        "Import larger FOCUS files with `manage.py import_focus`."
    )


class UploadLimitMiddleware:
    """Refuses, before any reading, a body whose Content-Length passes MAX_UPLOAD_BYTES."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("The Content-Length header is not a number.", status=400)
        if size > settings.MAX_UPLOAD_BYTES:
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _too_large(size)}, status=413)
            return HttpResponse(_too_large(size), status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class LimitedUploadHandler(FileUploadHandler):
    """First of the upload handlers: counts every file's bytes and stops past MAX_UPLOAD_BYTES."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.MAX_UPLOAD_BYTES:
            raise RequestDataTooBig(_too_large(self.received))
        return raw_data  # the next handler (memory or temporary file) keeps it

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file
