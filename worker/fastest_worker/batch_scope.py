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

pytest still matches each file argument against every file of its folder (`Session.collect`'s
pruning loop: k * k path comparisons for k files of one folder, most of a 5,000-file run's
collection). Consecutive whole-module arguments from one folder are therefore given to pytest as
that folder (`fold`), whose listing shows only them, and they still count as given on the
command line (`isinitpath`: no ignore rules, no python_files match, as for a file argument).
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


def fold(ids):
    """(the arguments to give pytest, the files folded into their folder's argument).

    A run of consecutive arguments that are whole modules (files, no `::`) directly in one
    folder, in pytest's order there (by name), becomes that folder, when nothing else of the
    batch lies in the folder or under it and no folder argument contains it: pytest then
    collects the same files in the same order, without comparing each against every other."""
    paths = [str(node_id).split("::", 1)[0] if "::" in str(node_id) else str(node_id) for node_id in ids]
    absolute = [_abs(p) for p in paths]
    whole_modules = [("::" not in str(node_id)) and p.endswith(".py") and os.path.isfile(p)
                     and os.path.basename(p) not in ("__init__.py", "conftest.py")
                     for node_id, p in zip(ids, paths)]
    folder_args = {a for a, p in zip(absolute, paths) if os.path.isdir(p)}
    args, folded = [], set()
    i = 0
    while i < len(ids):
        j = i + 1
        if whole_modules[i]:
            folder = os.path.dirname(absolute[i])
            while (j < len(ids) and whole_modules[j] and os.path.dirname(absolute[j]) == folder
                   and os.path.basename(absolute[j - 1]) < os.path.basename(absolute[j])):
                j += 1
            if j - i >= 2 and _foldable(folder, i, j, absolute, folder_args):
                args.append(os.path.dirname(paths[i]) or ".")
                folded.update(absolute[i:j])
                i = j
                continue
            j = i + 1
        args.append(ids[i])
        i = j
    return args, folded


def _foldable(folder: str, start: int, end: int, absolute, folder_args) -> bool:
    if _under(folder, folder_args):
        return False
    prefix = folder.rstrip(os.sep) + os.sep
    return not any(k < start or k >= end for k, a in enumerate(absolute) if a == folder or a.startswith(prefix))


def _count_as_given(session_class, folded) -> None:
    """Folded files stay what pytest calls initial paths, as when they were given one by one."""
    original = getattr(session_class, "isinitpath", None)
    if original is None or not folded:
        return

    def isinitpath(self, path, *args, **kwargs):
        return original(self, path, *args, **kwargs) or _abs(os.fspath(path)) in folded

    session_class.isinitpath = isinitpath


def install(ids):
    """Call in the batch's child, after chdir to the rootdir, before pytest collects: the
    arguments to give pytest for `ids`."""
    if not ids:
        return ids
    try:
        import _pytest.main
        import _pytest.pathlib
        import _pytest.python
    except ImportError:
        return ids
    _collect_folders_once(_pytest.main.Session)
    original = _pytest.pathlib.scandir
    named, ancestors, whole = _reach(ids)
    shown = {}  # folder -> the names its listing shows
    for path in named | ancestors:
        shown.setdefault(os.path.dirname(path), {"__init__.py"}).add(os.path.basename(path))

    def scandir(path, *args, **kwargs):
        entries = original(path, *args, **kwargs)
        folder = _abs(os.fspath(path))
        if _under(folder, whole):
            return entries
        names = shown.get(folder, ("__init__.py",))
        return [entry for entry in entries if entry.name in names]

    for module in (_pytest.main, _pytest.python):
        if getattr(module, "scandir", None) is original:
            module.scandir = scandir
    if not (_pytest.main.scandir is scandir and _pytest.python.scandir is scandir):
        return ids  # a pytest that lists folders otherwise: a folder argument would be whole
    args, folded = fold(ids)
    _count_as_given(_pytest.main.Session, folded)
    return args


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
