"""Unsaved editor buffers: make imports read the buffer's text instead of the file on disk.

Two import paths read source: pytest's assertion-rewriting hook (test modules and conftest
files) and importlib's SourceFileLoader (everything else). Both are redirected for the
overlaid paths, their bytecode caches are bypassed, and linecache serves the same text so
tracebacks show the lines that actually ran.
"""
import importlib.machinery
import linecache
import os
import sys
import time


def install(overlays: dict) -> None:
    if not overlays:
        return
    texts = {os.path.realpath(path): text for path, text in overlays.items()}
    texts.update({os.path.abspath(path): text for path, text in overlays.items()})
    sys.dont_write_bytecode = True

    for path, text in texts.items():
        lines = text.splitlines(keepends=True)
        linecache.cache[path] = (len(text), None, lines, path)

    loader = importlib.machinery.SourceFileLoader
    original_get_data = loader.get_data
    original_path_stats = loader.path_stats

    def get_data(self, path):
        text = texts.get(os.path.abspath(path))
        if text is not None:
            return text.encode("utf-8")
        return original_get_data(self, path)

    def path_stats(self, path):
        text = texts.get(os.path.abspath(path))
        if text is not None:
            return {"mtime": time.time(), "size": len(text.encode("utf-8"))}
        return original_path_stats(self, path)

    loader.get_data = get_data
    loader.path_stats = path_stats

    try:
        from _pytest.assertion import rewrite
    except ImportError:
        return
    original_rewrite_test = rewrite._rewrite_test
    original_read_pyc = rewrite._read_pyc

    def _rewrite_test(fn, config):
        text = texts.get(os.path.abspath(str(fn)))
        if text is None:
            return original_rewrite_test(fn, config)
        import ast
        source = text.encode("utf-8")
        stat = os.stat(fn) if os.path.exists(fn) else None
        tree = ast.parse(source, filename=str(fn))
        rewrite.rewrite_asserts(tree, source, str(fn), config)
        co = compile(tree, str(fn), "exec", dont_inherit=True)
        return stat, co

    def _read_pyc(source, pyc, trace=lambda x: None):
        if os.path.abspath(str(source)) in texts:
            return None
        return original_read_pyc(source, pyc, trace)

    rewrite._rewrite_test = _rewrite_test
    rewrite._read_pyc = _read_pyc
