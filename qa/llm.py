"""LangChain chat models for the LLM answer mode, built from settings (the one adapter for providers)."""

from __future__ import annotations

import os

from langchain_core.language_models import BaseChatModel

from qa.errors import ConfigError
from qa.settings import LLMSettings


def make_chat_model(settings: LLMSettings) -> BaseChatModel:
    """The configured chat model.

    Raises:
        ConfigError: no provider or model is set, or the provider's package is not installed.
    """
    if settings.provider == "none":
        raise ConfigError("no language model is configured: set QA_LLM__PROVIDER (openai or ollama) and QA_LLM__MODEL")
    if not settings.model:
        raise ConfigError(f"llm.model (QA_LLM__MODEL): name the {settings.provider} model to use")
    if settings.provider == "openai":
        return _openai(settings)
    return _ollama(settings)


def _openai(settings: LLMSettings) -> BaseChatModel:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as err:
        raise ConfigError("the openai provider needs langchain-openai: pip install -e '.[llm]'") from err
    key = os.environ.get(settings.api_key_env) or "not-needed"  # local servers accept any key
    return ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        api_key=key,
        temperature=settings.temperature,
        timeout=settings.timeout,
        max_retries=settings.max_retries,
    )


def _ollama(settings: LLMSettings) -> BaseChatModel:
    try:
        from langchain_ollama import ChatOllama
    except ImportError as err:
        raise ConfigError("the ollama provider needs langchain-ollama: pip install -e '.[llm]'") from err
    return ChatOllama(
        model=settings.model,
        base_url=settings.base_url,
        temperature=settings.temperature,
        client_kwargs={"timeout": settings.timeout},
    )
