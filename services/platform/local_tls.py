"""A throwaway certificate authority and broker certificate for the local secure broker (tests, dev).

Written with the ``cryptography`` library as PEM files Kafka reads directly (``ssl.keystore.type=PEM``):
``ca.crt`` (the trust anchor clients get as ``KAFKA_SSL_CAFILE``), ``broker.pem`` (the broker's
unencrypted PKCS#8 key followed by its certificate and the CA certificate) and ``ca.key``. The broker
certificate names 127.0.0.1 and localhost (clients verify the host name) and is good for server and
client authentication: the broker also presents it on its mutual-TLS controller and inter-broker
listeners. Keys are files of mode 0600 in a directory of mode 0700.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

BROKER_CN = "kafka-broker"
"""The broker's certificate CN, mapped to the principal ``User:kafka-broker`` (a super user)."""


@dataclass(frozen=True)
class TlsFiles:
    """Where the PEM files are."""

    ca_cert: Path
    ca_key: Path
    broker_pem: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hiring-pipeline local"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])  # fmt: skip


def _write(path: Path, data: bytes, private: bool) -> None:
    path.write_bytes(data)
    if private:
        path.chmod(0o600)


def _valid_for(pem: Path, hours: int) -> bool:
    """The first certificate in ``pem`` is still valid ``hours`` from now."""
    certificate = x509.load_pem_x509_certificate(pem.read_bytes())
    left = certificate.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    return left > datetime.timedelta(hours=hours)


def ensure_tls(directory: Path, days: int = 30) -> TlsFiles:
    """The CA and broker certificate in ``directory``: reused on restarts, made anew a day before expiry."""
    files = TlsFiles(directory / "ca.crt", directory / "ca.key", directory / "broker.pem")
    if files.ca_cert.exists() and files.broker_pem.exists() and _valid_for(files.broker_pem, hours=24):
        return files
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=days)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .not_valid_before(start)
        .not_valid_after(end)
        .subject_name(_name("hiring-pipeline local CA"))
        .issuer_name(_name("hiring-pipeline local CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    broker = (
        x509.CertificateBuilder()
        .not_valid_before(start)
        .not_valid_after(end)
        .subject_name(_name(BROKER_CN))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    pkcs8 = serialization.PrivateFormat.PKCS8
    _write(files.ca_key, ca_key.private_bytes(pem, pkcs8, serialization.NoEncryption()), private=True)
    _write(files.ca_cert, ca.public_bytes(pem), private=False)
    chain = key.private_bytes(pem, pkcs8, serialization.NoEncryption()) + broker.public_bytes(pem)
    _write(files.broker_pem, chain + ca.public_bytes(pem), private=True)
    return files
