"""What an uploaded file really is, read from its bytes (never from its name or the browser's content type).

| content type | accepted when |
| --- | --- |
| ``application/pdf`` | the file starts with ``%PDF-`` |
| ``image/jpeg``, ``image/png`` | Pillow opens and verifies it as JPEG / PNG |
| ``audio/mpeg`` (MP3) | an ``ID3`` tag or an MPEG audio frame header at the start |
| ``audio/mp4`` (M4A) | an ISO media ``ftyp`` box with an audio / MP4 brand (``M4A``, ``M4B``, ``mp42``, ``isom`` …) |
| ``audio/wav`` | ``RIFF`` … ``WAVE`` |
| XLSX | a ZIP archive holding ``[Content_Types].xml`` and ``xl/workbook.xml`` |

Recordings (kind ``recording``) must be audio, and audio is accepted only as a recording. The size caps come
from ``settings.QINGSHOU_DOCUMENTS`` (``max_bytes``: 20 MB, ``recording_max_bytes``: 100 MB by default).
Every refusal is a ``ContentError`` naming the file and the reason.
"""

from __future__ import annotations

import zipfile
from typing import IO, Final

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AUDIO: Final = frozenset({"audio/mpeg", "audio/mp4", "audio/wav"})
DOCUMENT_TYPES: Final = frozenset({"application/pdf", "image/jpeg", "image/png", XLSX})
DEFAULT_MAX_BYTES: Final = 20 * 1024 * 1024
DEFAULT_RECORDING_MAX_BYTES: Final = 100 * 1024 * 1024
_M4A_BRANDS: Final = frozenset({b"M4A ", b"M4B ", b"mp42", b"mp41", b"isom", b"iso2", b"dash"})
_HEAD: Final = 64


class ContentError(ValueError):
    """A file refused: ``code`` is the reason's code, ``str()`` the reason for people."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def size_caps() -> tuple[int, int]:
    """(bytes per document, bytes per recording) from ``settings.QINGSHOU_DOCUMENTS``."""
    config = getattr(settings, "QINGSHOU_DOCUMENTS", None) or {}
    return (
        int(config.get("max_bytes", DEFAULT_MAX_BYTES)),
        int(config.get("recording_max_bytes", DEFAULT_RECORDING_MAX_BYTES)),
    )


def _is_mp3(head: bytes) -> bool:
    if head.startswith(b"ID3"):
        return True
    # An MPEG audio frame: 11 sync bits, a version other than "reserved" (01) and a layer other than 00.
    return (
        len(head) >= 2
        and head[0] == 0xFF
        and head[1] & 0xE0 == 0xE0
        and head[1] & 0x18 != 0x08
        and (head[1] & 0x06 != 0)
    )


def _image_type(stream: IO[bytes]) -> str | None:
    try:
        stream.seek(0)
        with Image.open(stream) as image:
            kind = image.format or ""
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        return None
    finally:
        stream.seek(0)
    return {"JPEG": "image/jpeg", "PNG": "image/png"}.get(kind)


def _is_xlsx(stream: IO[bytes]) -> bool:
    try:
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        stream.seek(0)
    return "[Content_Types].xml" in names and "xl/workbook.xml" in names


def sniff(stream: IO[bytes]) -> str | None:
    """The content type of the bytes in ``stream`` among the accepted ones, else ``None``."""
    stream.seek(0)
    head = stream.read(_HEAD)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        return _image_type(stream)
    if head.startswith(b"PK\x03\x04"):
        return XLSX if _is_xlsx(stream) else None
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp" and head[8:12] in _M4A_BRANDS:
        return "audio/mp4"
    if _is_mp3(head):
        return "audio/mpeg"
    return None


def check_upload(name: str, size: int, stream: IO[bytes], *, recording: bool) -> str:
    """The content type of an upload for a document (``recording``: a call recording); ``ContentError``
    naming the file and the reason when it is empty, too large, of a type not accepted, or audio given as a
    document (or a document given as a recording)."""
    max_bytes, recording_max = size_caps()
    cap = recording_max if recording else max_bytes
    if size <= 0:
        raise ContentError(_("%(name)s is empty") % {"name": name}, "empty")
    if size > cap:
        raise ContentError(
            _("%(name)s is too large (%(size)d bytes; at most %(max)d)")
            % {"name": name, "size": size, "max": cap},
            "too_large",
        )
    kind = sniff(stream)
    if kind is None:
        raise ContentError(
            _("%(name)s is not a PDF, JPEG, PNG, XLSX or MP3 / M4A / WAV recording") % {"name": name},
            "file_type",
        )
    if recording and kind not in AUDIO:
        raise ContentError(
            _("%(name)s is not a recording: only MP3, M4A and WAV files are accepted") % {"name": name},
            "not_audio",
        )
    if not recording and kind in AUDIO:
        raise ContentError(
            _("%(name)s is a recording: upload it with the kind “recording”") % {"name": name}, "audio_kind"
        )
    return kind
