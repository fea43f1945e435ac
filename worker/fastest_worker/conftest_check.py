"""`python -m fastest_worker.conftest_check [pytest args]`: imports the conftest.py files pytest
would import for these args, as pytest does, and nothing else (no test module is collected).

pytest imports the initial conftests (those of the args, or testpaths, and their `test*`
folders) while it parses its command line: when one fails, pytest.main prints
`ImportError while loading conftest ...` on stderr and exits 4 — this does the same, through
pytest.main itself. The other conftests are imported while their folder is collected, and a
failure is that folder's collection error: their folders ($FASTEST_CONFTEST_DIRS, a JSON list of
absolute paths) are imported here and each failing conftest is printed on stdout as
`fastest-failing-conftest: <absolute path>`, for the caller to collect that folder with pytest.
pytest is configured first, as its session does: a pytest_configure that raises is pytest's
INTERNALERROR (exit 3). When pytest.main itself raises, pytest dies of it: exit 1, the traceback on
stderr, and `fastest-pytest-raised` on stdout for the caller.
"""
import json
import os
import sys
import traceback
from pathlib import Path

import pytest

from fastest_worker.imported_files import imported_files

FAILING_PREFIX = "fastest-failing-conftest: "
RAISED_MARKER = "fastest-pytest-raised"
IMPORTED_PREFIX = "fastest-imported: "  # what the answer depends on (settled cache)


class ConftestProbe:
    def __init__(self, dirs):
        self.dirs = dirs

    @pytest.hookimpl(tryfirst=True)
    def pytest_cmdline_main(self, config):
        from _pytest.config import ConftestImportFailure
        try:
            # As pytest's session starts: a plugin or conftest failing in pytest_configure (a
            # warning under `filterwarnings = error`) is pytest's INTERNALERROR, exit 3.
            config._do_configure()
        except Exception:
            from _pytest._code import ExceptionInfo
            config.notify_exception(ExceptionInfo.from_current(), config.option)
            return 3
        manager = config.pluginmanager
        failing = set()
        for directory in self.dirs:
            try:
                manager._loadconftestmodules(
                    Path(directory), config.getoption("importmode"), config.rootpath,
                    consider_namespace_packages=config.getini("consider_namespace_packages"))
            except ConftestImportFailure as failure:
                failing.add(str(failure.path))
            except Exception:  # a pytest whose private loader differs: the caller collects the folder
                failing.add(str(Path(directory) / "conftest.py"))
        for path in sorted(failing):
            print(FAILING_PREFIX + path, flush=True)
        for path in imported_files(str(config.rootpath)):
            print(IMPORTED_PREFIX + path, flush=True)
        return 0


def main() -> int:
    dirs = sorted(json.loads(os.environ.get("FASTEST_CONFTEST_DIRS") or "[]"), key=lambda d: len(Path(d).parts))
    try:
        return int(pytest.main(sys.argv[1:], plugins=[ConftestProbe(dirs)]))
    except Exception:
        # pytest.main itself raised (a conftest hook pluggy cannot register: PluginValidationError):
        # `python -m pytest` dies of it with the traceback on stderr and exit 1, and so does this.
        traceback.print_exc()
        print(RAISED_MARKER, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
