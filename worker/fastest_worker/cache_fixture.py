"""pytest's `cache` fixture and `config.cache` in the workers.

Workers run pytest with `-p no:cacheprovider` (the engine keeps `.pytest_cache`'s lastfailed and
nodeids itself, once per run: server/execution/pytest_cache.h), which also takes away what tests
and plugins read and write there: the `cache` fixture and `config.cache`. They come back here, on
pytest's own Cache class and the project's cache directory, unless the user disabled the
cacheprovider too (then pytest has neither, and neither do we).
"""
import os
import shlex

import pytest


def user_disabled_cacheprovider(config) -> bool:
    """-p no:cacheprovider from the user (command line, addopts, PYTEST_ADDOPTS), not the worker's own."""
    tokens = list(config.invocation_params.args)
    tokens += config.getini("addopts")
    tokens += shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))
    mentions = sum(1 for token in tokens if str(token).endswith("no:cacheprovider"))
    return mentions > 1  # one is the worker's own


def install(config) -> None:
    if getattr(config, "cache", None) is not None or user_disabled_cacheprovider(config):
        return
    try:
        from _pytest.cacheprovider import Cache
        config.cache = Cache(Cache.cache_dir_from_config(config, _ispytest=True), config, _ispytest=True)
    except Exception:  # a pytest whose private Cache differs: tests asking for it fail as before
        return
    config.pluginmanager.register(CacheFixture(), "fastest-cache-fixture")


class CacheFixture:
    @pytest.fixture
    def cache(self, request):
        """pytest's `cache` fixture: values kept across runs in the project's cache directory."""
        return request.config.cache
