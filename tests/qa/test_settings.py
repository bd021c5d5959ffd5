"""Settings: defaults, environment overrides, clear errors naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa import ConfigError, load_settings


def test_data_dir_defaults_to_dot_qa(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QA_DATA_DIR", raising=False)
    assert load_settings().data_dir == Path(".qa")


def test_environment_overrides_nested_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_DATA_DIR", "/srv/qa-index")
    monkeypatch.setenv("QA_RETRIEVAL__TOP_K", "8")
    settings = load_settings()
    assert settings.data_dir == Path("/srv/qa-index")
    assert settings.retrieval.top_k == 8


def test_keyword_arguments_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_DATA_DIR", "/srv/qa-index")
    assert load_settings(data_dir=Path("here")).data_dir == Path("here")


def test_invalid_value_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_RETRIEVAL__TOP_K", "zero")
    with pytest.raises(ConfigError, match="QA_RETRIEVAL__TOP_K"):
        load_settings()
