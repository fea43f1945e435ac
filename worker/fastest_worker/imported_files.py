"""The files a collection imported from the project (its test modules, conftests, packages and
helper modules): the settled cache (server/execution/settled_cache.h) keeps an answer only as
long as none of them changed. Files of the interpreter and its site-packages are left out: the
cache's key names the installed distributions."""
import os
import sys
import sysconfig


def imported_files(rootdir):
    root = os.path.join(os.path.abspath(rootdir), "")
    outside = {os.path.join(os.path.abspath(p), "") for p in
               (sys.prefix, sys.base_prefix, *(sysconfig.get_paths().get(k) for k in ("purelib", "platlib"))) if p}
    files = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not path:
            continue
        path = os.path.abspath(path)
        if path.startswith(root) and not any(path.startswith(p) for p in outside if len(p) > len(root)):
            files.add(path)
    return sorted(files)
