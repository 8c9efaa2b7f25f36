"""What of a request's signed document can be shown to an officer, and in which form.

A document is a PDF, an image, or a PKCS#7 (CMS) signed container (``.p7m``, as French
electronic signatures are sent) around one of them. The container's attached content is
taken out here (a small DER reader: the content only, the signature itself is checked by
the officer's own tools on the downloaded original); what is neither a PDF nor an image is
not shown, only offered as the original file.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: The OBJECT IDENTIFIER id-signedData, 1.2.840.113549.1.7.2 (RFC 5652 §5.1), encoded.
_SIGNED_DATA = bytes.fromhex("2a864886f70d010702")
_MAGIC = {b"%PDF-": "pdf", b"\x89PNG\r\n\x1a\n": "image", b"\xff\xd8\xff": "image"}
#: Nesting deeper than this is not a signed document (and would only cost time).
_MAX_DEPTH = 32


class DocumentForm(StrEnum):
    """How a document is shown."""

    PDF = "pdf"
    IMAGE = "image"
    NOT_SHOWN = "not_shown"


@dataclass(frozen=True, slots=True)
class Viewable:
    """The part of a document that is rendered, and whether it came out of a signed container."""

    form: DocumentForm
    content: bytes
    signed_container: bool = False


class _DerError(ValueError):
    """Not the DER (or BER) this reader takes."""


def viewable(document: bytes, media_type: str) -> Viewable:
    """What to render of ``document`` (its stated ``media_type`` is only a hint)."""
    form = _form(document)
    if form is not DocumentForm.NOT_SHOWN:
        return Viewable(form, document)
    if media_type == "application/pkcs7-mime" or document[:1] == b"\x30":
        try:
            inner = signed_content(document)
        except _DerError:
            inner = None
        if inner is not None and _form(inner) is not DocumentForm.NOT_SHOWN:
            return Viewable(_form(inner), inner, signed_container=True)
    return Viewable(DocumentForm.NOT_SHOWN, b"")


def _form(content: bytes) -> DocumentForm:
    for magic, form in _MAGIC.items():
        if content.startswith(magic):
            return DocumentForm(form)
    return DocumentForm.NOT_SHOWN


def signed_content(der: bytes) -> bytes | None:
    """The attached content of a CMS SignedData, or None when it is detached."""
    _, start, end, _ = _one(der, 0)
    info = _children(der, start, end, depth=0)
    if len(info) < 2 or info[0][0] != 0x06 or der[info[0][1] : info[0][2]] != _SIGNED_DATA:
        raise _DerError("not a SignedData")
    wrapper = info[1]  # [0] EXPLICIT SignedData
    signed = _children(der, wrapper[1], wrapper[2], depth=1)
    data = _children(der, signed[0][1], signed[0][2], depth=2)
    # version, digestAlgorithms, encapContentInfo, ...
    if len(data) < 3:
        raise _DerError("SignedData too short")
    encapsulated = _children(der, data[2][1], data[2][2], depth=3)
    if len(encapsulated) < 2:
        return None
    explicit = _children(der, encapsulated[1][1], encapsulated[1][2], depth=4)
    if not explicit:
        raise _DerError("empty eContent")
    return _octets(der, explicit[0], depth=5)


_Tlv = tuple[int, int, int, int]  # tag, content start, content end, next position


def _one(data: bytes, at: int, depth: int = 0) -> _Tlv:
    """The element at ``at``: tag, where its content starts and ends, where the next starts."""
    if depth > _MAX_DEPTH:
        raise _DerError("too deep")
    if at + 2 > len(data):
        raise _DerError("truncated")
    tag, first = data[at], data[at + 1]
    at += 2
    if first < 0x80:
        length = first
    elif first == 0x80:  # BER indefinite length: its children end with 00 00
        if not tag & 0x20:
            raise _DerError("indefinite primitive")
        end = at
        while data[end : end + 2] != b"\x00\x00":
            end = _one(data, end, depth + 1)[3]
        return tag, at, end, end + 2
    else:
        size = first & 0x7F
        if size > 4 or at + size > len(data):
            raise _DerError("bad length")
        length = int.from_bytes(data[at : at + size], "big")
        at += size
    if at + length > len(data):
        raise _DerError("truncated")
    return tag, at, at + length, at + length


def _children(data: bytes, start: int, end: int, *, depth: int) -> list[_Tlv]:
    if depth > _MAX_DEPTH:
        raise _DerError("too deep")
    found, at = [], start
    while at < end:
        element = _one(data, at, depth)
        found.append(element)
        at = element[3]
    return found


def _octets(data: bytes, element: _Tlv, *, depth: int) -> bytes:
    """An OCTET STRING's bytes, its pieces joined when it is constructed (BER)."""
    tag, start, end, _ = element
    if tag == 0x04:
        return data[start:end]
    if tag == 0x24:
        pieces = _children(data, start, end, depth=depth + 1)
        return b"".join(_octets(data, piece, depth=depth + 1) for piece in pieces)
    raise _DerError("eContent is not an OCTET STRING")
