"""Keeps a batch's collection to the files the batch names.

Given node ids as arguments, pytest collects each argument's folder whole (every file in it
becomes a Module node, each through pytest_ignore_collect and pytest_collect_file) and then
matches every argument against every node of that folder. A batch of k one-test files from a
folder of n files therefore costs n hook calls and k * n path comparisons (and a file argument
makes pytest collect its folder again, see _collect_folders_once): with 5,000 files, most of a
run went there. In a batch's child (a fork: nothing leaks back to the worker), the
folder listing pytest collects from (`_pytest.pathlib.scandir`, as `_pytest.main` and
`_pytest.python` imported it) shows only what the batch's arguments reach: their files, the
folders on the way to them, and each package's `__init__.py`. An argument that is a folder is
listed whole, as before. pytest then does exactly what it did, over the batch's own files.
"""
import os


def _abs(path: str) -> str:
    return os.path.normpath(os.path.abspath(path))


def _reach(ids):
    """(files and folders the ids name, their ancestor folders, folders named whole)."""
    named, ancestors, whole = set(), set(), set()
    for node_id in ids:
        path = _abs(str(node_id).split("::", 1)[0])
        if os.path.isdir(path):
            whole.add(path)
        named.add(path)
        parent = os.path.dirname(path)
        while parent not in ancestors:
            ancestors.add(parent)
            up = os.path.dirname(parent)
            if up == parent:
                break
            parent = up
    return named, ancestors, whole


def _under(path: str, folders) -> bool:
    while True:
        if path in folders:
            return True
        up = os.path.dirname(path)
        if up == path:
            return False
        path = up


def install(ids) -> None:
    """Call in the batch's child, after chdir to the rootdir, before pytest collects."""
    if not ids:
        return
    try:
        import _pytest.main
        import _pytest.pathlib
        import _pytest.python
    except ImportError:
        return
    _collect_folders_once(_pytest.main.Session)
    original = _pytest.pathlib.scandir
    named, ancestors, whole = _reach(ids)

    def scandir(path, *args, **kwargs):
        entries = original(path, *args, **kwargs)
        folder = _abs(os.fspath(path))
        if _under(folder, whole):
            return entries
        kept = []
        for entry in entries:
            full = os.path.join(folder, entry.name)
            if entry.name == "__init__.py" or full in named or full in ancestors:
                kept.append(entry)
        return kept

    for module in (_pytest.main, _pytest.python):
        if getattr(module, "scandir", None) is original:
            module.scandir = scandir


def _collect_folders_once(session_class) -> None:
    """pytest collects a folder again for every argument that names a file in it ("files given
    twice run twice"), making a fresh node for each of its files each time: k file arguments
    from one folder cost k * k nodes. A folder's children are the same each time; only a file's
    own collection must be repeated (pytest still does that, in genitems)."""
    from _pytest import nodes
    original = getattr(session_class, "_collect_one_node", None)
    directory = getattr(nodes, "Directory", None)
    if original is None or directory is None:
        return

    def _collect_one_node(self, node, handle_dupes=True):
        return original(self, node, handle_dupes or isinstance(node, directory))

    session_class._collect_one_node = _collect_one_node
