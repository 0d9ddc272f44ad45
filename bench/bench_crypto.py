"""Envelope-encryption benchmark: KeyService.encrypt against raw AES-256-GCM, and the
key-manager calls behind many data-key lookups. Prints one JSON object per line.

Run: ``.venv/bin/python -m bench.bench_crypto [--chunks N] [--lookups N]``
"""

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bench.report import emit
from governance.crypto.data_key_cache import DataKeyCache
from governance.crypto.envelope import NONCE_SIZE, context_aad
from governance.crypto.factory import key_manager_from_settings
from governance.crypto.key_service import KeyService
from governance.crypto.purposes import PURPOSE_SECRETS
from governance.settings import Settings
from governance.store.db import ControlPlane
from governance.store.models import Tenant

CHUNK = 1 << 20
ROUNDS = 5  # interleaved, best of each, to damp noise from other processes


def seconds(encrypt: Callable[[bytes], object], chunks: list[bytes]) -> float:
    start = time.perf_counter()
    for chunk in chunks:
        encrypt(chunk)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=256, help="1 MiB chunks per round")
    parser.add_argument("--lookups", type=int, default=100_000, help="data_key() calls")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="atspark-bench-") as home:
        settings = Settings(home=Path(home), kms="local", database_url=None)
        control_plane = ControlPlane(settings.control_plane_url)
        key_manager = key_manager_from_settings(settings)
        service = KeyService(control_plane, key_manager, DataKeyCache.from_settings(settings))
        with control_plane.session() as session:
            tenant = Tenant(slug="bench", name="Bench")
            session.add(tenant)
            session.flush()
            service.create_tenant_keys(session, tenant.id)

        chunks = [os.urandom(CHUNK) for _ in range(args.chunks)]
        raw = AESGCM(service.data_key(tenant.id, PURPOSE_SECRETS))
        aad = context_aad({"connection": "bench", "purpose": PURPOSE_SECRETS, "tenant": tenant.id})
        raw_times, envelope_times = [], []
        for _ in range(ROUNDS):
            raw_times.append(
                seconds(lambda chunk: raw.encrypt(os.urandom(NONCE_SIZE), chunk, aad), chunks)
            )
            envelope_times.append(
                seconds(
                    lambda chunk: service.encrypt(
                        tenant.id, PURPOSE_SECRETS, chunk, {"connection": "bench"}
                    ),
                    chunks,
                )
            )
        mib = args.chunks * CHUNK / (1 << 20)
        raw_speed, envelope_speed = mib / min(raw_times), mib / min(envelope_times)
        emit(
            "envelope_encrypt_ratio_to_raw_aesgcm",
            envelope_speed / raw_speed,
            ">= 0.8",
            raw_aesgcm_mib_s=round(raw_speed, 1),
            key_service_mib_s=round(envelope_speed, 1),
            chunk_bytes=CHUNK,
            chunks=args.chunks,
        )

        service.cache.clear()
        calls_before = key_manager.calls
        start = time.perf_counter()
        for _ in range(args.lookups):
            service.data_key(tenant.id, PURPOSE_SECRETS)
        elapsed = time.perf_counter() - start
        emit(
            "data_key_lookup_us",
            elapsed / args.lookups * 1e6,
            lookups=args.lookups,
            key_manager_calls=key_manager.calls - calls_before,
        )
        control_plane.dispose()


if __name__ == "__main__":
    main()
