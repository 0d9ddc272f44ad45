"""Language models for AI Assist: each returns SQL text and does nothing else.

``openai_compatible`` speaks to OpenAI, Azure OpenAI and any OpenAI-compatible server.
"""

from assist.providers.base import KINDS, Generation, Provider, ProviderError

__all__ = ["KINDS", "Generation", "Provider", "ProviderError"]
