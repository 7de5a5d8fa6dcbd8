"""Webhook secrets encrypted at rest: AES-256-GCM under a key ring (``shared.keyring``).

A sealed value is ``sealed:v1:<kid>:<base64url(nonce 12 bytes || ciphertext || tag)>``. The
associated data binds it to its place (``shop_id`` and column), so a value copied into another
shop's row or column does not open. A value without the prefix is a secret stored before
encryption (plain ``whsec_...``): it is still read, and ``reseal`` rewrites it sealed.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.keyring import KeyRing

_PREFIX = "sealed:v1:"
_NONCE_BYTES = 12


class SecretUnreadable(Exception):  # noqa: N818 -- a state, not a failure of the caller
    """A sealed secret names a key the ring does not hold, or does not open under it."""


class SecretBox:
    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring
        self._ciphers = {kid: AESGCM(key) for kid, key in ring.keys.items()}

    @property
    def active_kid(self) -> str:
        return self._ring.active_kid

    def seal(self, secret: str, *, place: str) -> str:
        """``secret`` encrypted under the active key for ``place`` (e.g. ``"shop-1/current"``)."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[self.active_kid].encrypt(nonce, secret.encode(), place.encode())
        return f"{_PREFIX}{self.active_kid}:{_b64(nonce + sealed)}"

    def open(self, stored: str, *, place: str) -> str:
        """The secret ``stored`` holds (a plain one as it is)."""
        if not stored.startswith(_PREFIX):
            return stored
        kid, _, payload = stored[len(_PREFIX) :].partition(":")
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise SecretUnreadable(f"sealed with key {kid!r}, which is not configured")
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        try:
            return cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], place.encode()).decode()
        except InvalidTag:
            raise SecretUnreadable(f"does not open under key {kid!r} for {place}") from None

    @property
    def active_prefix(self) -> str:
        """How every value sealed under the active key begins."""
        return f"{_PREFIX}{self.active_kid}:"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
