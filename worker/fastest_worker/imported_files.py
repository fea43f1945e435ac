"""The files a collection read from the project: the modules it imported (test modules,
conftests, packages, helper modules) and the files and folders it opened or listed (a conftest
reading `cases.json` or globbing `data/*.txt` for its params). The settled cache
(server/execution/settled_cache.h) keeps an answer only as long as none of them changed. Files
of the interpreter and its site-packages are left out: the cache's key names the installed
distributions.

Opens and listings are seen by an audit hook (PEP 578), installed when this module is first
imported: the worker imports it before any collection. A hook cannot be removed; it records
paths only, and stops at MAX_SEEN (then the answer is marked unverifiable, never trusted)."""
import os
import sys
import sysconfig

MAX_SEEN = 20000
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
SKIPPED_PARTS = ("__pycache__", ".pytest_cache", ".fastest_cache", ".git")
# A path that never exists: listed when more was read than recorded, so the answer is not kept.
TOO_MANY = ".fastest-collection-read-too-many-files"

_seen = set()
_overflow = False


def _path_of(value):
    if isinstance(value, (str, bytes, os.PathLike)):
        try:
            return os.path.abspath(os.fsdecode(value))
        except (TypeError, ValueError):
            return None
    return None


def _note(path):
    global _overflow
    if path is None or _overflow:
        return
    if len(_seen) >= MAX_SEEN:
        _overflow = True
        return
    _seen.add(path)


def _audit(event, args):
    """Never raises: an exception here would fail the test's own open() or listdir()."""
    try:
        _record(event, args)
    except Exception:
        pass


def _record(event, args):
    if event == "open":
        path, mode, flags = (tuple(args) + (None, None, None))[:3]
        if isinstance(mode, str):
            if any(c in mode for c in "wax+"):
                return
        elif isinstance(flags, int) and flags & WRITE_FLAGS:
            return
        _note(_path_of(path))
    elif event in ("os.listdir", "os.scandir") and not _listed_by_the_machinery():
        path = args[0] if args else None
        _note(_path_of("." if path is None else path))


def _listed_by_the_machinery():
    """A listing by pytest's walk of the folders it collects, or by the import system's path
    finder, rather than by the project's code: the caches key a folder target by its files
    already and an import by the file it found, and those folders gain a __pycache__ while they
    are collected (their mtime would make every first answer look changed)."""
    frame = sys._getframe(3)  # past this function, _record and _audit: the code that listed
    while frame is not None:
        name = frame.f_code.co_filename
        if any(part in name for part in ("/_pytest/", "/pluggy/", "/fastest_worker/", "importlib")) \
                or name.startswith("<frozen"):
            return True
        if not name.endswith(("/os.py", "/pathlib.py", "/glob.py")):  # the standard library's wrappers
            return False
        frame = frame.f_back
    return True


sys.addaudithook(_audit)


def imported_files(rootdir):
    root = os.path.join(os.path.abspath(rootdir), "")
    outside = {os.path.join(os.path.abspath(p), "") for p in
               (sys.prefix, sys.base_prefix, *(sysconfig.get_paths().get(k) for k in ("purelib", "platlib"))) if p}
    candidates = set(_seen)
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path:
            candidates.add(os.path.abspath(path))
    files = set()
    for path in candidates:
        if not (path.startswith(root) or path + os.sep == root):
            continue
        if any(path.startswith(p) for p in outside if len(p) > len(root)):
            continue
        parts = path[len(root):].split(os.sep)
        if path.endswith(".pyc") or any(part in SKIPPED_PARTS for part in parts):
            continue
        files.add(path)
    if _overflow:
        files.add(os.path.join(root, TOO_MANY))
    return sorted(files)
