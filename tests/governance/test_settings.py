"""The settings: read from ``ATSPARK_*``, converted and checked when built."""

import os
from dataclasses import fields
from pathlib import Path

import pytest

from governance.anomalies.model import Thresholds
from governance.settings import Settings, SettingsError


def test_every_field_is_read_from_its_variable_and_converted():
    environ = {
        "ATSPARK_HOME": "/srv/atspark",
        "ATSPARK_DATABASE_URL": "postgresql://db/atspark",
        "ATSPARK_KMS": "aws:alias/atspark",
        "ATSPARK_AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        "ATSPARK_AWS_REGION": "eu-west-1",
        "ATSPARK_WAREHOUSE": "duckdb",
        "ATSPARK_DATA_KEY_CACHE_SECONDS": "60",
        "ATSPARK_DATA_KEY_CACHE_USES": "10",
        "ATSPARK_FILES_ROOTS": os.pathsep.join(["/data/{tenant}", "/srv/shared"]),
        "ATSPARK_SESSION_IDLE_SECONDS": "600",
        "ATSPARK_SESSION_ABSOLUTE_SECONDS": "3600",
        "ATSPARK_SMTP_URL": "smtps://bot:pw@mail.example.com:465",
        "ATSPARK_AUDIT_RETENTION_DAYS": "90",
        "ATSPARK_EGRESS_ALLOWED_HOSTS": " api.internal.example, *.proxy.example ,",
        "ATSPARK_PUBLIC_URL": "https://data.example.com/",
        "ATSPARK_LLM_PROVIDER": "openai",
        "ATSPARK_LLM_BASE_URL": "http://127.0.0.1:11434/v1",
        "ATSPARK_LLM_MODEL": "qwen2.5-coder",
        "ATSPARK_LLM_API_KEY": "sk-local",
        "ATSPARK_LLM_TIMEOUT_SECONDS": "12.5",
        "ATSPARK_ANOMALY_THRESHOLDS": "signin_failures_per_account=4, bulk_read_factor=2.5",
        "ATSPARK_BACKUP_URL": "s3://atspark-backups/prod",
        "UNRELATED": "x",
    }
    settings = Settings.from_environment(environ)
    assert {f"ATSPARK_{field.name.upper()}" for field in fields(Settings)} == set(environ) - {
        "UNRELATED"
    }
    assert settings == Settings(
        home=Path("/srv/atspark"),
        database_url="postgresql://db/atspark",
        kms="aws:alias/atspark",
        aws_endpoint_url="http://127.0.0.1:5000",
        aws_region="eu-west-1",
        data_key_cache_seconds=60.0,
        data_key_cache_uses=10,
        files_roots=(Path("/data/{tenant}"), Path("/srv/shared")),
        session_idle_seconds=600,
        session_absolute_seconds=3600,
        smtp_url="smtps://bot:pw@mail.example.com:465",
        public_url="https://data.example.com",
        audit_retention_days=90,
        egress_allowed_hosts=("api.internal.example", "*.proxy.example"),
        llm_provider="openai",
        llm_base_url="http://127.0.0.1:11434/v1",
        llm_model="qwen2.5-coder",
        llm_api_key="sk-local",
        llm_timeout_seconds=12.5,
        anomaly_thresholds=Thresholds(signin_failures_per_account=4, bulk_read_factor=2.5),
        backup_url="s3://atspark-backups/prod",
    )
    assert settings.upload_dir("acme") == Path("/srv/atspark/uploads/acme")
    assert settings.files_roots_of("acme") == (Path("/data/acme"), Path("/srv/shared"))


def test_unset_and_empty_optional_values_keep_the_defaults():
    empty = {name: "" for name in ("HOME", "DATABASE_URL", "AWS_ENDPOINT_URL", "FILES_ROOTS")}
    settings = Settings.from_environment({f"ATSPARK_{name}": "" for name in empty})
    assert settings == Settings()
    assert settings.home == Path(".atspark") and settings.files_roots_of("acme") == ()


def test_the_model_key_falls_back_to_openai_api_key_and_never_shows():
    fallback = Settings.from_environment({"OPENAI_API_KEY": "sk-from-openai"})
    own = Settings.from_environment(
        {"OPENAI_API_KEY": "sk-from-openai", "ATSPARK_LLM_API_KEY": "sk-own"}
    )
    assert (fallback.llm_api_key, own.llm_api_key) == ("sk-from-openai", "sk-own")
    assert "sk-" not in repr(fallback) + repr(own)
    assert Settings().llm_provider == "offline"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kms", "aws:"),
        ("llm_provider", "anthropic"),
        ("llm_base_url", "file:///etc/passwd"),
        ("llm_timeout_seconds", "0"),
        *[("backup_url", v) for v in ["ftp://host/x", "/var/backups", "s3:// bucket"]],
        *[("anomaly_thresholds", v) for v in ["nope=1", "bulk_read_factor=0", "x", "a=b=c"]],
        ("warehouse", "bigquery"),
        ("database_url", "sqlite:///:memory:"),
        *[
            ("data_key_cache_seconds", v)
            for v in ["0", "0.5", "nan", "inf", "1e400", "-1", "1_000"]
        ],
        *[("data_key_cache_uses", v) for v in ["0", "1.5", "nan", "+5", "\u0663"]],
        *[("files_roots", v) for v in ["/ok:relative", "/data/{tenant}/../..", "/a/../b"]],
        *[("public_url", v) for v in ["javascript:alert(1)", "data.example.com", "https://a/b?c"]],
    ],
)
def test_a_value_the_platform_cannot_use_is_refused_naming_its_variable(field, value):
    with pytest.raises(SettingsError, match=f"^ATSPARK_{field.upper()} must "):
        Settings(**{field: value})
