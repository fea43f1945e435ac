"""Test modules collected once, in a process forked from the warm project image, so that a
batch forked from it finds its nodes collected: run-at-cursor pays for the test, not for
importing and collecting its module again (on test_project, collection was 10 of 16 ms).

The collected process (image.py starts it) runs pytest's own collection of the given test
files, as `pytest file1 file2 ...` would, and keeps what it built: the root collectors
(`Session._collect_path`) and every collect report (`Session._collect_one_node`). A batch
child's `perform_collect` is then pytest's, except that these two answer from what was kept:
the same node objects, the same reports, with pytest's own matching, genitems, item hooks,
modifyitems and deselection run in the child. Nodes must be the very objects collected here:
pytest 9 scopes a conftest's fixtures by its Directory node's identity.

Only clean modules are kept: a file whose collection warned (the batch must report the
warning), failed or skipped (its error must be reported), or left a thread or socket behind is
named `unclean`; the process then exits and is started again without it. A batch is given to
this process only when every id it runs lies in a kept file and no file the process imported
changed (image.py's `covers`); otherwise it forks from the image as before.
"""
import contextlib
import os
import warnings

_tree = None  # in the collected process and its batch children: what was collected


class _Recorder:
    """Stands for the hook relay pytest's warning capture reports to: keeps each warning."""

    def __init__(self):
        self.warnings = []
        self.pytest_warning_recorded = self

    def call_historic(self, kwargs):
        self.warnings.append(kwargs["warning_message"])


@contextlib.contextmanager
def _warnings_pytest_would_report(config):
    """Collects, in the list yielded (filled on exit), the warnings pytest would report while
    collecting: its own capture with the configured filters (`filterwarnings`, -W), so a
    warning the project ignores does not leave its module out. Another pytest: every warning."""
    recorder = _Recorder()
    try:
        from _pytest.warnings import catch_warnings_for_item
        capture = catch_warnings_for_item(config, recorder, when="collect", item=None)
    except Exception:
        capture = None
    if capture is None:
        with warnings.catch_warnings(record=True) as log:
            warnings.simplefilter("always")
            yield log
        return
    with capture:
        yield recorder.warnings


class _Muted:
    """The streaming plugin's channel while collecting here: no batch is listening."""

    def send(self, message):
        pass


def supported() -> bool:
    """pytest >= 8 (Directory nodes, Session._collect_path and _collect_one_node), unless
    FASTEST_PRECOLLECT=0 turns it off."""
    if os.environ.get("FASTEST_PRECOLLECT", "") == "0":
        return False
    try:
        from _pytest import nodes
        from _pytest.main import Session
    except ImportError:
        return False
    return all(hasattr(Session, name) for name in ("_collect_path", "_collect_one_node")) \
        and hasattr(nodes, "Directory")


def active() -> bool:
    return _tree is not None


def _collect_tree(session, node, reports) -> list:
    """Collects `node`'s subtree as genitems would, without its item hooks (the batch runs
    them); the failed or skipped reports met on the way."""
    from _pytest import nodes
    if not isinstance(node, nodes.Collector):
        return []
    rep, _ = session._collect_one_node(node, True)
    reports[node] = rep
    bad = [rep] if not rep.passed else []
    for child in rep.result if rep.passed else ():
        bad += _collect_tree(session, child, reports)
    return bad


def _argument(session, path: str, index: int):
    from _pytest.main import resolve_collection_argument
    return resolve_collection_argument(session.config.invocation_params.dir, path, index,
                                       as_pypath=False, consider_namespace_packages=bool(
                                           session.config.getini("consider_namespace_packages")))


def collect(prepared, files, after_module):
    """Collects `files` (absolute paths of test modules) in the prepared session.

    Returns (kept files, {file: why it is unclean}). `after_module()` is called after each
    module is collected, and says what it left behind that a fork cannot hold (a thread, a
    socket), or None."""
    global _tree
    from _pytest.main import Session
    from .batch_scope import _collect_folders_once
    from .session import _own_capture_files
    session, config = prepared.session, prepared.config
    _own_capture_files(config)  # the worker's capture files are shared with every other child
    _collect_folders_once(Session)  # every file argument meets the same Directory nodes
    channel, prepared.plugin.channel = prepared.plugin.channel, _Muted()
    roots, reports, unclean, kept = {}, {}, {}, []
    original_collect_path = Session._collect_path

    def record_roots(self, path, path_cache):
        cols = original_collect_path(self, path, path_cache)
        roots[path] = cols
        return cols

    Session._collect_path = record_roots
    try:
        parts = [_argument(session, f, i) for i, f in enumerate(files)]
        session._initial_parts = parts
        session._initialpaths = frozenset(p.path for p in parts)
        session._initialpaths_with_parents = frozenset(
            [p.path for p in parts] + [parent for p in parts for parent in p.path.parents])
        session._collection_cache = {}
        session._notfound = []
        found = session.collect()
        while True:
            with _warnings_pytest_would_report(config) as caught:
                try:
                    node = next(found)
                except StopIteration:
                    node = None
                bad = _collect_tree(session, node, reports) if node is not None else []
            if node is None:
                if caught:  # after the last module: cannot say whose; keep nothing
                    unclean.update({f: "a warning while collecting" for f in files})
                break
            path = str(node.path)
            left = after_module()
            why = (f"pytest warned while collecting it ({caught[0].category.__name__})" if caught else
                   f"its collection {'failed' if bad[0].failed else 'was skipped'}" if bad else left)
            if why:
                unclean[path] = why
            else:
                kept.append(path)
        for arg, _ in session._notfound:
            unclean.setdefault(str(arg), "not found")
        reports.update(session._collection_cache)
    except Exception as error:  # a pytest whose private collection API differs: nothing kept
        unclean.update({f: f"collecting failed: {type(error).__name__}: {error}" for f in files})
        kept = []
    finally:
        Session._collect_path = original_collect_path
        prepared.plugin.channel = channel
        session._collection_cache = {}
        session._initial_parts = []
        session._notfound = []
        session.items = []
    if unclean:
        return [], unclean
    _tree = (roots, reports, frozenset(kept))
    _answer_from_tree(Session)
    return kept, {}


def _answer_from_tree(session_class) -> None:
    """A batch child's collection starts from the kept root collectors and reports."""
    roots, reports, _ = _tree
    original_collect_path = session_class._collect_path
    original_collect_one_node = session_class._collect_one_node

    def _collect_path(self, path, path_cache):
        if path not in path_cache and path in roots:
            path_cache[path] = roots[path]
        return original_collect_path(self, path, path_cache)

    def _collect_one_node(self, node, handle_dupes=True):
        # The first meeting in this session is pytest's first collection of the node; later
        # ones go through pytest's own duplicate handling.
        if node not in self._collection_cache:
            rep = reports.get(node)
            if rep is not None:
                self._collection_cache[node] = rep
                return rep, False
        return original_collect_one_node(self, node, handle_dupes)

    session_class._collect_path = _collect_path
    session_class._collect_one_node = _collect_one_node


def covers(ids, rootdir: str, files) -> bool:
    """True when every id (a path relative to `rootdir`, or path::name...) lies in `files`."""
    if not ids:
        return False
    for node_id in ids:
        path = os.path.normpath(os.path.join(rootdir, str(node_id).split("::", 1)[0]))
        if path not in files:
            return False
    return True


def test_files(modules, patterns) -> list:
    """The test module files (not conftests) among [name, module] pairs."""
    from _pytest.pathlib import fnmatch_ex
    found = []
    for _, module in modules:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and os.path.basename(path) != "conftest.py" \
                and any(fnmatch_ex(p, path) for p in patterns):
            found.append(os.path.abspath(path))
    return found

