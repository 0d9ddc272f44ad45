"""Stripe-looking object ids."""

import base64
import random

from connectors.sandbox.stripe.dataset.constants import ACCOUNT_TAG

_B64_TO_ID = bytes.maketrans(b"+/", b"Qx")


class Ids:
    """Ids from a dedicated seeded stream (drawing ids never shifts the data)."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed * 7919 + 104729)
        self._buf = ""
        self._at = 0

    def chars(self, n: int) -> str:
        if self._at + n > len(self._buf):
            raw = base64.b64encode(self._rng.randbytes(9 * 8192)).translate(_B64_TO_ID)
            self._buf = raw.decode()
            self._at = 0
        at = self._at
        self._at = at + n
        return self._buf[at : at + n]

    def short(self, prefix: str) -> str:
        return prefix + self.chars(14)

    def long(self, prefix: str) -> str:
        c = self.chars(13)
        return f"{prefix}1{c[:7]}{ACCOUNT_TAG}{c[7:]}"
