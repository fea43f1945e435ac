"""Values of installed modules, read once for static discovery.

`python -m fastest_worker.library_facts REQUEST ANSWER CWD`: REQUEST (JSON) names import
statements and the chains of steps read after them, each chain a JSON array whose steps are
attribute names, calls with their arguments, or an element of what was answered with its
elements (`{"at": n}`, a dict's `{"key": key}`), e.g.
``{"import numpy": ["[\"float64\"]", "[\"arange\",{\"a\":[{\"i\":\"3\"}],\"k\":[]}]"]}``.
ANSWER (JSON) gets, per statement, where its top module comes from, and per
``statement|chain`` the value as discovery can use it (server/execution/library_facts_store.*
decodes it; docs/discovery-parity.md, "Installed libraries").

Only what a fresh import gives is answered. A chain step that reaches a submodule counts only
when importing (or reading) its parent loaded it here: a submodule another statement imported
may be missing in pytest's process. A call is made twice, in pytest's working directory (CWD)
and in an empty one, and answered only when both results read the same (a time, a random
number, a path made absolute are not answers). Anything else is {"t": "unknown"}.
"""

import collections.abc
import enum
import faulthandler
import importlib
import json
import os
import re
import signal
import sys
import sysconfig
import site
import tempfile

MAX_ITEMS = 5000
MAX_DEPTH = 6


def where(module):
    """'builtin', 'stdlib', 'site' or 'other' (a project's own source: never answered)."""
    name = module.__name__
    if name in sys.builtin_module_names:
        return "builtin", "builtin"
    path = getattr(module, "__file__", None)
    if not path:
        return "other", ""
    path = os.path.realpath(path)
    paths = sysconfig.get_paths()
    site_dirs = set()
    for key in ("purelib", "platlib"):
        site_dirs.add(os.path.realpath(paths[key]))
    try:
        site_dirs.update(os.path.realpath(p) for p in site.getsitepackages())
    except AttributeError:
        pass
    if getattr(site, "ENABLE_USER_SITE", False):
        site_dirs.add(os.path.realpath(site.getusersitepackages()))
    for d in site_dirs:
        if path.startswith(d + os.sep):
            return "site", path
    for key in ("stdlib", "platstdlib"):
        if path.startswith(os.path.realpath(paths[key]) + os.sep):
            return "stdlib", path
    return "other", path


class Budget:
    def __init__(self):
        self.left = MAX_ITEMS


def iterates_in_a_fixed_order(value):
    """A collection whose iteration order is the same in every process: not a set (hash
    order: PYTHONHASHSEED), a mapping only when it is a dict (insertion order), not an iterator
    (consumed by its first use)."""
    if not isinstance(value, collections.abc.Collection) or iter(value) is value:
        return False
    if isinstance(value, collections.abc.Set):
        return False
    return not isinstance(value, collections.abc.Mapping) or isinstance(value, dict)


def describe(value, budget, depth=0):
    """The value as discovery reads it: exact builtin values in full, anything else by the id
    pytest's _idval_from_value gives it (same order of cases)."""
    budget.left -= 1
    if budget.left < 0 or depth > MAX_DEPTH:
        return {"t": "unknown", "why": "too large"}
    t = type(value)
    if value is None:
        return {"t": "none"}
    if t is bool:
        return {"t": "bool", "v": value}
    if t is int:
        return {"t": "int", "v": str(value)}
    if t is float:
        return {"t": "float", "s": str(value)}
    if t is complex:
        return {"t": "complex", "s": str(value)}
    if t is str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return {"t": "unknown", "why": "a str with lone surrogates"}
        return {"t": "str", "v": value}
    if t is bytes:
        return {"t": "bytes", "hex": value.hex()}
    if t in (tuple, list):
        items = [describe(v, budget, depth + 1) for v in value]
        return {"t": t.__name__, "items": items}
    if t is dict:
        items = []
        for k, v in value.items():
            if type(k) not in (str, int, bool, float, bytes) and k is not None:
                return {"t": "unknown", "why": "a dict keyed by other than literals"}
            items.append(describe(k, budget, depth + 1))
            items.append(describe(v, budget, depth + 1))
        return {"t": "dict", "items": items}
    if type(value).__name__ == "ParameterSet":
        return {"t": "unknown", "why": "a pytest.param"}
    # Not an exact builtin value: only what pytest renders as its id.
    if isinstance(value, str):
        return {"t": "id", "as": "str", "v": str.__str__(value)}
    if isinstance(value, bytes):
        return {"t": "id", "as": "bytes", "hex": bytes(value).hex()}
    if isinstance(value, (float, int, bool, complex)):
        return {"t": "id", "as": "raw", "s": str(value)}
    if isinstance(value, re.Pattern):
        p = value.pattern
        if isinstance(p, bytes):
            return {"t": "id", "as": "bytes", "hex": p.hex()}
        return {"t": "id", "as": "str", "v": p}
    if type(value).__name__ == "NotSetType":
        return {"t": "object"}
    if isinstance(value, enum.Enum):
        return {"t": "id", "as": "raw", "s": str(value)}
    if type(value) is type(sys):
        return {"t": "module", "name": value.__name__}
    name = getattr(value, "__name__", None)
    if isinstance(name, str):
        return {"t": "named", "name": name}
    if iterates_in_a_fixed_order(value):
        # Iterated by parametrize (np.arange(3)): its elements, each by what pytest reads of it.
        return {"t": "object", "elements": [describe(v, budget, depth + 1) for v in value]}
    return {"t": "object"}


def parse_statement(statement):
    """(module to import, what the statement binds): 'import a.b' binds a, 'import a.b as _'
    binds a.b, 'from a.b import c' binds a.b's c."""
    words = statement.split()
    if words[0] == "import":
        if len(words) == 4:
            return words[1], ("module", words[1])
        return words[1], ("module", words[1].split(".")[0])
    return words[1], ("from", words[3])


def import_counting(name, loaded_during):
    """Imports `name` one package level at a time; `loaded_during[m]` gets what the first import
    of each level m loaded (m included): what a fresh import of it loads."""
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        prefix = ".".join(parts[:i])
        if prefix in sys.modules:
            continue
        before = set(sys.modules)
        importlib.import_module(prefix)
        loaded_during[prefix] = (set(sys.modules) - before) | {prefix}
    return sys.modules[name]


def closure(name, loaded_during):
    """The modules a fresh `import name` loads, as far as this process saw their first imports
    (a level another statement's import loaded on the way is not known: its submodules are not
    answered then)."""
    parts = name.split(".")
    modules = set()
    for i in range(1, len(parts) + 1):
        prefix = ".".join(parts[:i])
        modules.add(prefix)
        modules |= loaded_during.get(prefix, set())
    return modules


def step_attribute(obj, attr, allowed, lazy):
    """getattr as the test module's code does. A submodule counts when this statement's own
    import loaded it, or the getattr itself does (a package's lazy __getattr__): another
    statement's import may be missing in pytest's process."""
    is_module = type(obj) is type(sys)
    before = set(sys.modules) if is_module else None
    value = getattr(obj, attr)
    if is_module and type(value) is type(sys):
        parent = obj.__name__
        loaded = set(sys.modules) - before
        if loaded:
            lazy[(parent, attr)] = loaded
        allowed |= lazy.get((parent, attr), set())
        if value.__name__.startswith(parent + ".") and value.__name__ not in allowed:
            raise LookupError("submodule %s may not be imported in pytest's process" % value.__name__)
    return value


def process_state():
    """What differs between this process and pytest's whatever the code: the command line, the
    import machinery's state, the process and thread ids. Never an answer, nor read through."""
    import threading

    objects = [sys.argv, sys.path, sys.modules, sys.meta_path, sys.path_hooks, sys.path_importer_cache,
               sys.warnoptions, getattr(sys, "orig_argv", None), getattr(sys, "_xoptions", None), sys.stdin,
               sys.stdout, sys.stderr, os.getpid, os.getppid, os.getpgrp, os.getpgid, os.getsid,
               threading.get_ident, threading.get_native_id, threading.current_thread, threading.main_thread]
    return {id(o) for o in objects if o is not None}


class Resolver:
    def __init__(self):
        self.loaded_during, self.lazy = {}, {}
        self.process_state = process_state()
        self.statements = {}  # statement -> (answer, bound value, submodules it may reach)

    def bind(self, statement):
        if statement in self.statements:
            return self.statements[statement]
        try:
            module_name, (how, what) = parse_statement(statement)
            module = import_counting(module_name, self.loaded_during)
            top = sys.modules[module_name.split(".")[0]]
            kind, origin = where(top)
            allowed = closure(module_name, self.loaded_during)
            if how == "module":
                bound = sys.modules[what]
            else:
                # Python's own rule: the package's attribute, else its submodule (imported by
                # this statement itself in pytest's process too).
                try:
                    bound = getattr(module, what)
                except AttributeError:
                    bound = import_counting(module_name + "." + what, self.loaded_during)
                allowed |= closure(module_name + "." + what, self.loaded_during)
            result = ({"where": kind, "origin": origin}, bound, allowed)
        except BaseException as e:  # noqa: BLE001 - any failure is "unknown", never a guess
            result = ({"where": "error", "origin": "", "why": "%s: %s" % (type(e).__name__, e)}, None, set())
        self.statements[statement] = result
        return result

    def value(self, statement, steps, origin=None):
        answer, obj, allowed = self.bind(statement)
        if answer["where"] in ("error", "other"):
            raise LookupError("not an installed module's value")
        if origin is not None and answer["where"] != "builtin" and origin != answer["origin"]:
            raise LookupError("pytest's import path may load another module")
        for step in steps:
            if isinstance(step, str):
                obj = step_attribute(obj, step, set(allowed), self.lazy)
            elif "a" in step:
                obj = self.call(obj, step)
            elif "at" in step:  # the n-th element of a collection answered with its elements
                if not iterates_in_a_fixed_order(obj):
                    raise LookupError("elements of a collection without a fixed order")
                obj = list(obj)[step["at"]]
            elif "key" in step:  # a dict's value
                if type(obj) is not dict:
                    raise LookupError("a value of something else than a dict")
                obj = obj[self.argument(step["key"])]
            else:
                raise ValueError("a step of an unknown shape")
            if id(obj) in self.process_state:
                raise LookupError("this process's own state, not pytest's")
        return obj

    def argument(self, a):
        if a is None or isinstance(a, (bool, str)):
            return a
        if "i" in a:
            return int(a["i"])
        if "f" in a:
            return float(a["f"])
        if "c" in a:
            return complex(a["c"])
        if "b" in a:
            return bytes.fromhex(a["b"])
        if "t" in a:
            return tuple(self.argument(x) for x in a["t"])
        if "l" in a:
            return [self.argument(x) for x in a["l"]]
        if "d" in a:
            items = a["d"]
            return {self.argument(items[i]): self.argument(items[i + 1]) for i in range(0, len(items), 2)}
        if "p" in a:
            statement, steps, origin = a["p"]
            return self.value(statement, steps, os.path.realpath(origin) if origin else "")
        raise ValueError("an argument of an unknown shape")

    def call(self, function, step):
        args = [self.argument(a) for a in step["a"]]
        kw = step["k"]
        kwargs = {kw[i]: self.argument(kw[i + 1]) for i in range(0, len(kw), 2)}
        results = []
        here = os.getcwd()
        with tempfile.TemporaryDirectory() as elsewhere:
            for cwd in (here, elsewhere):
                os.chdir(cwd)
                signal.setitimer(signal.ITIMER_REAL, 5)
                try:
                    results.append(function(*args, **kwargs))
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    os.chdir(here)
        first, second = (json.dumps(describe(r, Budget()), sort_keys=True) for r in results)
        if first != second:
            raise ValueError("two calls gave different results")
        return results[0]


def on_alarm(signum, frame):
    raise TimeoutError("a call took over 5 seconds")


def answer(request):
    signal.signal(signal.SIGALRM, on_alarm)
    resolver = Resolver()
    statements, values = {}, {}
    for statement, chains in request.items():
        result, _, _ = resolver.bind(statement)
        statements[statement] = result
        if result["where"] in ("error", "other"):
            continue
        for chain in chains:
            try:
                obj = resolver.value(statement, json.loads(chain))
                values[statement + "|" + chain] = describe(obj, Budget())
            except BaseException as e:  # noqa: BLE001
                values[statement + "|" + chain] = {"t": "unknown", "why": "%s: %s" % (type(e).__name__, e)}
    return {"statements": statements, "values": values}


def main():
    # A library whose import hangs leaves its values unknown, never the caller waiting.
    faulthandler.dump_traceback_later(30, exit=True)
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    # Started in a neutral folder, which `-m` put first on sys.path: not pytest's. Its working
    # directory is pytest's.
    if sys.path and os.path.realpath(sys.path[0] or ".") == os.path.realpath(os.getcwd()):
        del sys.path[0]
    os.chdir(sys.argv[3])
    out = sys.stdout
    sys.stdout = sys.stderr  # what imports print is not the answer
    result = answer(request)
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(result, f)
    out.flush()
    sys.stderr.flush()
    os._exit(0)  # no atexit handlers or threads of the imported libraries


if __name__ == "__main__":
    main()
