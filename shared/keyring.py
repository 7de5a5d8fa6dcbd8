"""A ring of named keys from one setting: ``"kid1:<base64url>,kid2:<base64url>"``.

The first key is the active one (new material is sealed or signed with it); every key listed
opens or verifies. Rotating is: list the new key first and keep the old one after it; once
nothing depends on the old one any more, drop it. Key ids are short names
(``[A-Za-z0-9_-]{1,32}``); each key is at least 32 bytes.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

_KID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+=*")
MIN_KEY_BYTES = 32


class KeyRingError(ValueError):
    """The setting does not describe a key ring (the message says why, never the key)."""


@dataclass(frozen=True)
class KeyRing:
    active_kid: str
    keys: dict[str, bytes]

    def __repr__(self) -> str:
        return f"KeyRing(active_kid={self.active_kid!r}, kids={list(self.keys)!r})"

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active_kid]

    @classmethod
    def parse(cls, text: str, *, key_bytes: int | None = None) -> KeyRing:
        """Parse ``text``; ``key_bytes`` demands that exact key length (e.g. 32 for AES-256)."""
        keys: dict[str, bytes] = {}
        for number, item in enumerate(part.strip() for part in text.split(",")):
            kid, sep, encoded = item.partition(":")
            if not sep or not _KID.fullmatch(kid):
                raise KeyRingError(f"key {number + 1}: expected <kid>:<base64url key>")
            if kid in keys:
                raise KeyRingError(f"key id {kid!r} is listed twice")
            try:
                if not _BASE64URL.fullmatch(encoded):
                    raise ValueError(encoded)
                stripped = encoded.rstrip("=")
                key = base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
            except (binascii.Error, ValueError):
                raise KeyRingError(f"key {kid!r} is not base64url") from None
            if len(key) < MIN_KEY_BYTES or (key_bytes is not None and len(key) != key_bytes):
                wanted = key_bytes or f"at least {MIN_KEY_BYTES}"
                raise KeyRingError(f"key {kid!r} must be {wanted} bytes, not {len(key)}")
            keys[kid] = key
        return cls(active_kid=next(iter(keys)), keys=keys)


def encode_key(kid: str, key: bytes) -> str:
    """One ring entry, as the setting lists it."""
    return f"{kid}:{base64.urlsafe_b64encode(key).rstrip(b'=').decode('ascii')}"
