"""Signed checkpoints: the C2SP ``tlog-checkpoint`` body in a C2SP ``signed-note`` with Ed25519 keys.

A checkpoint body is three lines: the origin, the tree size in decimal, the root in base64. The note
is the body, a blank line, then one line per signature, ``— <key name> base64(key id || signature)``.
Keys are spelled as Go's ``golang.org/x/mod/sumdb/note``: a signer ``PRIVATE+KEY+<name>+<hex id>+
base64(0x01 || seed)``, a verifier ``<name>+<hex id>+base64(0x01 || public key)``, the key id being the
first four bytes of SHA-256(name || "\\n" || 0x01 || public key). A witness cosigns by adding its own
signature line to the note (``cosign``); ``open_note`` checks whichever keys the reader names.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from schemas.merkle import HASH_SIZE

ALG_ED25519 = 0x01
DASH = "\u2014"  # the em dash that opens every signature line
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


class NoteError(ValueError):
    """A key, note or checkpoint that is malformed, unsigned, or whose signature does not verify."""


@dataclass(frozen=True)
class Checkpoint:
    """The signed statement: the tree of ``origin`` has ``size`` leaves and this ``root``."""

    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        """The C2SP ``tlog-checkpoint`` text (what is signed), ending in a newline."""
        if not self.origin or _CONTROL.search(self.origin) or "\n" in self.origin:
            raise NoteError(f"origin {self.origin!r} is empty or holds a control character")
        if self.size < 0 or len(self.root) != HASH_SIZE:
            raise NoteError("a checkpoint has a size >= 0 and a 32-byte root")
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def parse_body(text: str) -> Checkpoint:
    """The checkpoint a note's text states (extension lines after the root are allowed and ignored)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not lines[0]:
        raise NoteError("a checkpoint body is an origin, a size and a root line, each ending in a newline")
    if not _SIZE.fullmatch(lines[1]):
        raise NoteError(f"checkpoint size {lines[1]!r} is not a decimal without leading zeros")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except binascii.Error:
        root = b""
    if len(root) != HASH_SIZE:
        raise NoteError(f"checkpoint root {lines[2]!r} is not the base64 of 32 bytes")
    return Checkpoint(lines[0], int(lines[1]), root)


@dataclass(frozen=True)
class Signer:
    """An Ed25519 signing key with its note name and key id."""

    name: str
    key_id: bytes
    private: Ed25519PrivateKey

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature of ``message``."""
        return self.private.sign(message)


@dataclass(frozen=True)
class Verifier:
    """An Ed25519 public key with its note name and key id."""

    name: str
    key_id: bytes
    public: Ed25519PublicKey

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's over ``message``."""
        try:
            self.public.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def text(self) -> str:
        """The verifier key string (``name+hexid+base64``)."""
        raw = bytes([ALG_ED25519]) + self.public.public_bytes_raw()
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(raw).decode()}"


def key_id(name: str, public: bytes) -> bytes:
    """The 4-byte key id: SHA-256(name || "\\n" || 0x01 || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public).digest()[:4]


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise NoteError(f"key name {name!r} is empty or holds '+' or white space")


def _key_parts(text: str, what: str) -> tuple[str, bytes, bytes]:
    name, _, rest = text.partition("+")
    hex_id, _, encoded = rest.partition("+")
    _check_name(name)
    try:
        raw, wanted = base64.b64decode(encoded, validate=True), bytes.fromhex(hex_id)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what} key for {name!r} is not <name>+<hex id>+<base64>") from None
    if len(hex_id) != 8 or len(raw) != 33 or raw[0] != ALG_ED25519:
        raise NoteError(f"{what} key for {name!r} is not an Ed25519 note key")
    return name, wanted, raw[1:]


def parse_signer(text: str) -> Signer:
    """A signer from ``PRIVATE+KEY+name+hexid+base64(0x01||seed)``; checks the key id."""
    if not text.startswith("PRIVATE+KEY+"):
        raise NoteError("a signer key starts with PRIVATE+KEY+")
    name, wanted, seed = _key_parts(text.strip()[len("PRIVATE+KEY+") :], "signer")
    private = Ed25519PrivateKey.from_private_bytes(seed)
    if key_id(name, private.public_key().public_bytes_raw()) != wanted:
        raise NoteError(f"signer key for {name!r}: the key id does not match the key")
    return Signer(name, wanted, private)


def parse_verifier(text: str) -> Verifier:
    """A verifier from ``name+hexid+base64(0x01||public key)``; checks the key id."""
    name, wanted, public = _key_parts(text.strip(), "verifier")
    if key_id(name, public) != wanted:
        raise NoteError(f"verifier key for {name!r}: the key id does not match the key")
    return Verifier(name, wanted, Ed25519PublicKey.from_public_bytes(public))


def generate_key(name: str) -> tuple[str, str]:
    """A new Ed25519 note key: ``(signer key, verifier key)`` strings."""
    _check_name(name)
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    public = private.public_key().public_bytes_raw()
    kid = key_id(name, public).hex()
    skey = f"PRIVATE+KEY+{name}+{kid}+{base64.b64encode(bytes([ALG_ED25519]) + seed).decode()}"
    vkey = f"{name}+{kid}+{base64.b64encode(bytes([ALG_ED25519]) + public).decode()}"
    return skey, vkey


def _signature_line(text: str, signer: Signer) -> str:
    blob = signer.key_id + signer.sign(text.encode())
    return f"{DASH} {signer.name} {base64.b64encode(blob).decode()}\n"


def sign_text(text: str, signer: Signer) -> str:
    """A signed note of ``text`` (which must end in a newline) with one signature."""
    if not text.endswith("\n") or _CONTROL.search(text) or "\n\n" in text:
        raise NoteError("note text ends in a newline, has no blank line and no control character")
    return f"{text}\n{_signature_line(text, signer)}"


def sign(checkpoint: Checkpoint, signer: Signer) -> str:
    """The checkpoint as a signed note."""
    return sign_text(checkpoint.body(), signer)


@dataclass(frozen=True)
class Signature:
    """One signature line: the key's name, its id and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes


def split(note: str) -> tuple[str, list[Signature]]:
    """A note's text and its signature lines; ``NoteError`` when malformed."""
    if _CONTROL.search(note) or not note.endswith("\n"):
        raise NoteError("a note ends in a newline and has no control character")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("a note has a blank line between its text and its signatures")
    text, lines = note[: cut + 1], note[cut + 2 :].splitlines()
    return text, [_signature(line) for line in lines]


def _signature(line: str) -> Signature:
    prefix, _, rest = line.partition(" ")
    name, _, encoded = rest.partition(" ")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        blob = b""
    if prefix != DASH or not name or " " in encoded or len(blob) < 5:
        raise NoteError(f"malformed signature line {line!r}")
    return Signature(name, blob[:4], blob[4:])


def signed_by(note: str, verifiers: Sequence[Verifier]) -> list[Verifier]:
    """The ``verifiers`` that signed ``note``; ``NoteError`` if one of their signatures is bad."""
    text, signatures = split(note)
    found = []
    for verifier in verifiers:
        mine = [s for s in signatures if (s.name, s.key_id) == (verifier.name, verifier.key_id)]
        for s in mine:
            if not verifier.verify(text.encode(), s.signature):
                raise NoteError(f"the signature of {verifier.name}+{verifier.key_id.hex()} does not verify")
        if mine:
            found.append(verifier)
    return found


def open_note(note: str, verifiers: Sequence[Verifier], *, require_all: bool = False) -> Checkpoint:
    """The checkpoint of a note signed by one of ``verifiers`` (all of them if ``require_all``)."""
    found = signed_by(note, verifiers)
    missing = [f"{v.name}+{v.key_id.hex()}" for v in verifiers if v not in found]
    if not found or (require_all and missing):
        known = ", ".join(missing) or "(no key given)"
        raise NoteError(f"the note is not signed by {'every' if require_all else 'any'} of: {known}")
    return parse_body(split(note)[0])


def cosign(note: str, signer: Signer) -> str:
    """The note with ``signer``'s signature added (a witness's cosignature); an earlier one replaced."""
    text, signatures = split(note)
    kept = [s for s in signatures if (s.name, s.key_id) != (signer.name, signer.key_id)]
    lines = "".join(f"{DASH} {s.name} {base64.b64encode(s.key_id + s.signature).decode()}\n" for s in kept)
    return f"{text}\n{lines}{_signature_line(text, signer)}"
