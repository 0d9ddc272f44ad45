"""The offline AI Assist engine: plain-English questions mapped onto the metric catalog with no
model and no network (``engine.understand``), or declined, never guessed."""

from assist.offline.engine import Declined, Understanding, understand

__all__ = ["Declined", "Understanding", "understand"]
