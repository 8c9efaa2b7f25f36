"""Which part of a signed document is shown: a PDF, an image, or the content of a .p7m."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from services.legal.core.documents import DocumentForm, viewable

PDF = b"%PDF-1.7\n" + b"0" * 5000
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def p7m(content: bytes, *options: pkcs7.PKCS7Options) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Parquet de Paris")])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    builder = pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(cert, key, hashes.SHA256())
    # Binary: the content as it is (no S/MIME line-ending canonicalisation).
    return builder.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary, *options])


def test_pdfs_and_images_are_shown_as_they_are() -> None:
    assert viewable(PDF, "application/pdf").form is DocumentForm.PDF
    assert viewable(PNG, "image/png").form is DocumentForm.IMAGE
    # The stated type is a hint; the bytes decide (a PNG sent as a PDF is an image).
    assert viewable(PNG, "application/pdf").form is DocumentForm.IMAGE


def test_the_content_of_a_signed_container_is_taken_out() -> None:
    shown = viewable(p7m(PDF), "application/pkcs7-mime")
    assert (shown.form, shown.content, shown.signed_container) == (DocumentForm.PDF, PDF, True)


@pytest.mark.parametrize(
    "document",
    [
        b"plain text",
        b"\x30\x80" * 50_000,  # nested without end: refused, not recursed into
        b"\x30\x84\xff\xff\xff\xff",  # a length past the end
        p7m(PDF, pkcs7.PKCS7Options.DetachedSignature),  # no content inside
        p7m(b"not a pdf nor an image"),
    ],
)
def test_what_cannot_be_shown_is_offered_as_the_original_only(document: bytes) -> None:
    assert viewable(document, "application/pkcs7-mime").form is DocumentForm.NOT_SHOWN
