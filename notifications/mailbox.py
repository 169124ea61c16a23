"""Development only: read the emails the file backend wrote to EMAIL_FILE_PATH, with
their links and attachments, so a reminder can be followed end to end without an
SMTP server. Every view answers 404 unless DEBUG is on and mail goes to files."""

from email import message_from_bytes, policy
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render

SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def _folder() -> Path:
    if not settings.DEBUG or not settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
        raise Http404
    return Path(settings.EMAIL_FILE_PATH)


def _messages(folder: Path):
    """Every message, newest file first: (file name, index in file, message)."""
    files = sorted(folder.glob("*.log"), key=lambda f: f.stat().st_mtime, reverse=True)
    for path in files:
        chunks = [c for c in path.read_bytes().split(SEPARATOR) if c.strip()]
        for index, chunk in reversed(list(enumerate(chunks))):
            yield path.name, index, message_from_bytes(chunk.lstrip(b"\n"), policy=policy.default)


def _message(name: str, index: int):
    folder = _folder()
    for file_name, position, message in _messages(folder):
        if file_name == name and position == index:
            return message
    raise Http404


def inbox(request):
    rows = [
        {"file": name, "index": index, "message": message}
        for name, index, message in list(_messages(_folder()))[:200]
    ]
    return render(request, "notifications/dev/mailbox.html", {"rows": rows})


def message_detail(request, name: str, index: int):
    message = _message(name, index)
    text = message.get_body(preferencelist=("plain",))
    attachments = [
        {"number": number, "name": part.get_filename(), "type": part.get_content_type()}
        for number, part in enumerate(message.iter_attachments())
    ]
    return render(
        request,
        "notifications/dev/message.html",
        {
            "message": message,
            "text": text.get_content() if text else "",
            "attachments": attachments,
            "file": name,
            "index": index,
            "headers": [
                (k, v) for k, v in message.items() if k.lower().startswith(("list-", "x-"))
            ],
        },
    )


def attachment(request, name: str, index: int, number: int):
    parts = list(_message(name, index).iter_attachments())
    if number >= len(parts):
        raise Http404
    part = parts[number]
    response = HttpResponse(part.get_content(), content_type=part.get_content_type())
    response["Content-Disposition"] = f'attachment; filename="{part.get_filename() or "file"}"'
    return response
