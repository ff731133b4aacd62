"""Personal data never reaches Temporal's history in plain text: every payload the service's
clients and worker send is encrypted with AES-GCM under a named key (Temporal's encryption
sample, sdk-python `samples/encryption`), and decrypted on the way back.

Keys rotate without stopping anything: PAYLOAD_KEYS holds every key that may still be needed
("id1:base64key,id2:base64key"), PAYLOAD_KEY_ID the one new payloads use; the key id travels in
each payload's metadata, so a payload encrypted under an older key still decrypts as long as its
key stays listed. Payloads without this codec's encoding (histories recorded before the codec,
e.g. tests/workflows/histories/) pass through untouched in both directions.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"  # the encoding Temporal's UI and samples use for this
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
KEY_FILE = "payload-keys"  # under VAR_DIR, made once per install in development


class CodecError(ValueError):
    """A key setting that cannot be used, or a payload that cannot be decrypted."""


@dataclass(frozen=True)
class KeyRing:
    """Every usable key by id, and the id that encrypts new payloads."""

    keys: dict[str, bytes]
    current: str


def parse_keys(text: str, current: str | None = None) -> KeyRing:
    """`id:base64key,…` (AES keys of 16, 24 or 32 bytes); `current` defaults to the first id."""
    keys: dict[str, bytes] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id:
            raise CodecError("PAYLOAD_KEYS entries are id:base64key, separated by commas")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error:
            raise CodecError(f"PAYLOAD_KEYS: the key of {key_id!r} is not base64") from None
        if len(key) not in (16, 24, 32):
            raise CodecError(f"PAYLOAD_KEYS: the key of {key_id!r} must be 16, 24 or 32 bytes")
        if key_id in keys:
            raise CodecError(f"PAYLOAD_KEYS names {key_id!r} twice")
        keys[key_id] = key
    if not keys:
        raise CodecError("PAYLOAD_KEYS holds no key")
    current = current or next(iter(keys))
    if current not in keys:
        raise CodecError(f"PAYLOAD_KEY_ID {current!r} is not one of the ids in PAYLOAD_KEYS")
    return KeyRing(keys=keys, current=current)


def new_key_entry(key_id: str) -> str:
    """A fresh AES-256 key as a PAYLOAD_KEYS entry (`id:base64key`)."""
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def install_key(var_dir: Path) -> KeyRing:
    """The per-install key of a development machine: read from VAR_DIR/payload-keys, or made
    there once (mode 0600). Processes starting together (split mode) agree on one file: it is
    written aside and linked into place, and whoever loses the race reads the winner's."""
    path = var_dir / KEY_FILE
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        draft = var_dir / f".{KEY_FILE}.{os.getpid()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(new_key_entry(f"dev-{secrets.token_hex(4)}") + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            with contextlib.suppress(FileNotFoundError):
                draft.unlink()
    return parse_keys(path.read_text().strip())


class EncryptionCodec(PayloadCodec):
    """AES-GCM over each whole payload (metadata and data); the key id is the associated data,
    so a payload cannot be passed off as encrypted under another key."""

    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring
        self._ciphers = {key_id: AESGCM(key) for key_id, key in ring.keys.items()}

    @property
    def key_id(self) -> str:
        return self._ring.current

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decrypt(p) if encrypted(p) else p for p in payloads]

    def _encrypt(self, payload: Payload) -> Payload:
        key_id = self._ring.current
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=nonce + sealed
        )

    def _decrypt(self, payload: Payload) -> Payload:
        key_id = payload.metadata.get(KEY_ID, b"").decode()
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise CodecError(
                f"a payload is encrypted under key {key_id!r}, which PAYLOAD_KEYS does not hold"
            )
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, sealed, key_id.encode())
        except InvalidTag:
            raise CodecError(f"a payload under key {key_id!r} does not decrypt") from None
        return Payload.FromString(plain)


def encrypted(payload: Payload) -> bool:
    """Whether this codec made the payload (anything else passes through)."""
    return payload.metadata.get("encoding") == ENCODING
