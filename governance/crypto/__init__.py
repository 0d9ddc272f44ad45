"""Envelope encryption: key managers, tenant data keys and AES-256-GCM blobs."""
