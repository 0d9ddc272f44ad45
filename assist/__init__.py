"""AI Assist: plain-English questions answered with governed SQL.

``semantic/`` is the metric catalog (YAML) and its compiler to SQL; ``offline/`` the engine that
maps a question onto the catalog with no model; ``providers/`` the language models (offline, or any
OpenAI-compatible server); ``prompt.py`` the metadata-only prompt. Nothing here reads the warehouse
or the control plane: ``services.assist`` runs every SQL this package produces through governance.
"""
