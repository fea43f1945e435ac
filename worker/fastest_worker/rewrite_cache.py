"""pytest's rewritten test modules cached under fastest's own cache when the tree gets none.

With PYTHONDONTWRITEBYTECODE set (common in containers and CI images) pytest rewrites the
asserts of every test module on every run, about half the cost of collecting a module of small
tests. pytest's rewritten pyc is checked against the source's hash (PEP 552) and named by
interpreter and pytest version, so keeping it in `<cache>/pycache/<absolute dir>/` (never in
the source tree) is exactly as fresh as pytest's own cache: an edited file is rewritten again.
Unsaved buffers never reach this cache: overlays.py answers them before it is asked.
"""
import os
import sys
from pathlib import Path


def install(cache_dir: str) -> bool:
    """Hooks pytest's pyc read/rewrite; False when pytest already writes its own cache."""
    if not sys.dont_write_bytecode or not cache_dir:
        return False
    from _pytest.assertion import rewrite

    root = Path(cache_dir) / "pycache"
    original_read_pyc = rewrite._read_pyc
    original_rewrite_test = rewrite._rewrite_test

    def cached_pyc(source) -> Path:
        source = Path(os.path.abspath(source))
        return root.joinpath(*source.parts[1:-1]) / (source.name[:-3] + rewrite.PYC_TAIL)

    def _read_pyc(source, pyc, trace=lambda x: None):
        code = original_read_pyc(source, pyc, trace)
        return code if code is not None else original_read_pyc(source, cached_pyc(source), trace)

    def _rewrite_test(fn, config):
        __tracebackhide__ = True  # a syntax error's traceback is pytest's own, as without the cache
        source_hash, code = original_rewrite_test(fn, config)
        pyc = cached_pyc(fn)
        if rewrite.try_makedirs(pyc.parent):
            rewrite._write_pyc(config.stash[rewrite.assertstate_key], code, source_hash, pyc)
        return source_hash, code

    rewrite._read_pyc = _read_pyc
    rewrite._rewrite_test = _rewrite_test
    return True
