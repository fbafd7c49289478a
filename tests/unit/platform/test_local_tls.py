"""The throwaway CA of the local secure broker: a chain Python's TLS stack accepts, renewed before expiry."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

from cryptography import x509

from services.platform.local_tls import BROKER_CN, ensure_tls


def test_the_broker_certificate_is_signed_by_the_ca_and_names_loopback(tmp_path: Path) -> None:
    files = ensure_tls(tmp_path / "tls")
    context = ssl.create_default_context(cafile=str(files.ca_cert))
    context.load_cert_chain(files.broker_pem)  # key and chain belong together
    broker = x509.load_pem_x509_certificate(files.broker_pem.read_bytes())
    ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    broker.verify_directly_issued_by(ca)
    names = broker.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert broker.subject.rfc4514_string() == f"CN={BROKER_CN},O=hiring-pipeline local"
    assert oct(files.broker_pem.stat().st_mode)[-3:] == "600"
    assert oct(files.ca_key.stat().st_mode)[-3:] == "600"


def test_reused_while_valid_and_renewed_before_expiry(tmp_path: Path) -> None:
    first = ensure_tls(tmp_path / "tls").ca_cert.read_bytes()
    assert ensure_tls(tmp_path / "tls").ca_cert.read_bytes() == first
    ensure_tls(tmp_path / "short", days=0)  # expires in ~0 days: made anew on the next start
    short = (tmp_path / "short" / "ca.crt").read_bytes()
    assert ensure_tls(tmp_path / "short").ca_cert.read_bytes() != short
    renewed = x509.load_pem_x509_certificate((tmp_path / "short" / "broker.pem").read_bytes())
    assert renewed.not_valid_after_utc - datetime.datetime.now(datetime.UTC) > datetime.timedelta(days=29)
