"""What a tenant's data keys are for: one key per purpose, never used for another."""

PURPOSE_SECRETS = "connection-secrets"
PURPOSE_WAREHOUSE = "warehouse"
PURPOSE_CREDENTIALS = "credentials"
"""Sign-in secrets of the tenant's users (TOTP seeds)."""
PURPOSE_BACKUPS = "backups"
"""The tenant's backup objects and manifests: shredding the tenant leaves them unreadable."""
TENANT_PURPOSES = (PURPOSE_SECRETS, PURPOSE_WAREHOUSE, PURPOSE_CREDENTIALS, PURPOSE_BACKUPS)
