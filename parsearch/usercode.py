"""Code defined outside installed packages: the user's own classes and functions.

A class or function of an installed package (scikit-learn, torch, skorch, parsearch
itself) is the same code wherever the same version is installed, and its name,
``module.qualname``, identifies it. A class that a user writes in a script or a notebook
(a skorch module, an estimator of their own, a metric function) is edited and run again
under the same name: for a rerun to tell the new code from the old, its identity must
hold the code itself (:func:`code_tag`).

Where the line goes (:func:`is_user_code`): a class or function is the user's own when
its module is

- ``__main__`` (a script run by path or with ``python -m``, a notebook, ``python -c``),
  or ``__mp_main__`` (the same in a ``multiprocessing`` child);
- a module whose file lies outside the standard library and every ``site-packages``
  folder, and that belongs to no installed distribution: a module beside the script or
  notebook that is imported from the current folder (``from models import Net``);
- a module made in memory, without a file, that no distribution provides.

Everything else (the standard library, built-in modules, anything installed, editable
installs ``pip install -e`` included, and parsearch's own modules) keeps its name alone,
so that the results folders of its searches keep resuming.

The code is read from the objects that run, not from the files on disk (which may have
changed since the module was imported, and which a notebook does not have):
:func:`code_digest`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import site
import sys
import sysconfig
import types

#: Modules that hold the code of a script, a notebook or ``python -c``.
MAIN_MODULES = ("__main__", "__mp_main__")

#: Entries of a class's ``__dict__`` that are no part of its behaviour.
_NOT_CODE = frozenset(
    {
        "__dict__",
        "__weakref__",
        "__module__",
        "__qualname__",
        "__doc__",
        "__firstlineno__",
        "__static_attributes__",
        "__annotations__",
        "__orig_bases__",
        "__parameters__",
        "__slotnames__",  # copyreg's cache, set by the first pickling
        "_abc_impl",
    }
)


def is_user_code(obj):
    """Whether a class or function is the user's own code (see the module's docstring).

    Parameters
    ----------
    obj : object
        A class or a function; anything else is not code of its own (False).

    Returns
    -------
    bool
    """
    if not isinstance(obj, (type, types.FunctionType)):
        return False
    module = getattr(obj, "__module__", None)
    return isinstance(module, str) and _is_user_module(module)


@functools.cache
def _is_user_module(name):
    if name in MAIN_MODULES:
        return True
    top = name.partition(".")[0]
    if top == "parsearch" or top in sys.stdlib_module_names or name in sys.builtin_module_names:
        return False
    path = getattr(sys.modules.get(name), "__file__", None)
    if path is not None:
        path = os.path.realpath(path)
        if any(path.startswith(folder + os.sep) for folder in _installed_folders()):
            return False
    return top not in _distributed_packages()


@functools.cache
def _installed_folders():
    """The standard library's folders and every ``site-packages`` folder, resolved."""
    folders = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    folders.update(getattr(site, "getsitepackages", list)())
    folders.add(site.getusersitepackages())
    return tuple(os.path.realpath(f) for f in folders if f)


@functools.cache
def _distributed_packages():
    """Top-level names that installed distributions provide (editable installs too)."""
    from importlib.metadata import packages_distributions

    return frozenset(packages_distributions())


def code_tag(obj):
    """The text that follows a class's or function's name in an identity.

    Returns
    -------
    str
        ``"[code:<16 hex digits>]"`` (:func:`code_digest`) for the user's own code
        (:func:`is_user_code`), else ``""``: a name alone, as earlier versions wrote it.
    """
    return f"[code:{code_digest(obj)}]" if is_user_code(obj) else ""


def code_digest(obj):
    """A hash of what a class or function does, the same in every process.

    For a function: its bytecode, constants and names (nested functions and
    comprehensions too; not its line numbers, so moving it in its file changes nothing),
    its default arguments, what its closure holds, and what the module-level names it
    uses hold where they are the user's own classes and functions (followed in turn) or
    plain constants (numbers, strings, tuples of them). For a class: its user-defined
    bases (others by name), and every entry of its body: methods, static and class
    methods, properties, nested classes, plain class attributes (not the entries that
    Python keeps there itself: ``__slotnames__``, ``__parameters__`` and the like).

    The code is read from the objects themselves, not from ``inspect.getsource``: the
    file on disk may have changed since it was imported (then the source would claim
    code that is not the code that ran), and a notebook's classes have no file.

    Parameters
    ----------
    obj : type or function

    Returns
    -------
    str
        16 hex digits.
    """
    parts = []
    _feed(obj, parts, set())
    digest = hashlib.blake2b(digest_size=8)
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode("utf-8", "replace"))
        digest.update(b"\0")
    return digest.hexdigest()


def _feed(obj, parts, seen):
    """Append the parts of a user class or function (each one once) to ``parts``."""
    if id(obj) in seen:
        parts.append(f"again {obj.__qualname__}")
        return
    seen.add(id(obj))
    if isinstance(obj, type):
        parts.append(f"class {obj.__qualname__}")
        for base in obj.__bases__:
            _feed_value(base, parts, seen)
        for name, member in sorted(vars(obj).items()):
            if name in _NOT_CODE or (_is_dunder(name) and not _is_code_member(member)):
                continue  # bookkeeping of Python's (caches, type parameters, ...)
            parts.append(name)
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            if isinstance(member, property):
                for accessor in (member.fget, member.fset, member.fdel):
                    _feed_value(accessor, parts, seen)
            else:
                _feed_value(member, parts, seen)
        return
    parts.append(f"def {obj.__qualname__}")
    names = set()
    _feed_code(obj.__code__, parts, names)
    parts.append(_plain_text(obj.__defaults__))
    parts.append(_plain_text(tuple(sorted((obj.__kwdefaults__ or {}).items()))))
    for cell in obj.__closure__ or ():
        try:
            _feed_value(cell.cell_contents, parts, seen)
        except ValueError:  # an empty cell
            parts.append("empty cell")
    for name in sorted(names):
        if name in obj.__globals__:
            value = obj.__globals__[name]
            if is_user_code(value) or _plain_text(value) is not None:
                parts.append(f"global {name}")
                _feed_value(value, parts, seen)


def _is_dunder(name):
    return name.startswith("__") and name.endswith("__")


def _is_code_member(member):
    """A class body's entry that holds code: a function, a method, a property, a class."""
    return isinstance(member, (types.FunctionType, staticmethod, classmethod, property, type))


def _feed_code(code, parts, names):
    """Append a code object's bytecode, names and constants (nested code too)."""
    parts += [code.co_code, repr(code.co_names), repr(code.co_varnames), repr(code.co_freevars)]
    names.update(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _feed_code(const, parts, names)
        else:
            parts.append(_plain_text(const) or type(const).__name__)


def _feed_value(value, parts, seen):
    """A user class or function is followed; a plain value is its text; else its type."""
    if is_user_code(value):
        _feed(value, parts, seen)
        return
    text = _plain_text(value)
    if text is None:
        kind = value if isinstance(value, type) else type(value)
        text = f"{kind.__module__}.{kind.__qualname__}"
        if callable(value) and hasattr(value, "__qualname__"):  # a function of a package
            text = f"{getattr(value, '__module__', None)}.{value.__qualname__}"
    parts.append(text)


def _plain_text(value):
    """The text of a constant (the same in every process), or None for anything else."""
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return repr(value)
    if type(value) is tuple:
        items = [_plain_text(v) for v in value]
        return None if None in items else f"({', '.join(items)},)"
    if type(value) is frozenset:  # its order is that of the hashes: sorted instead
        items = [_plain_text(v) for v in value]
        return None if None in items else f"frozenset({sorted(items)})"
    return None


def expose_main_code(*objects):
    """Make the user's ``__main__`` classes and functions found by name in this process.

    A worker process (joblib's loky, Dask) receives the caller's ``__main__`` classes by
    value, through cloudpickle, as ``GridSearchCV``'s workers do; but the worker's own
    ``__main__`` module does not hold them, and plain ``pickle`` looks a class up by its
    module and name: a fitted model that pickles its parts with ``pickle`` (skorch's
    ``NeuralNet.__getstate__`` does, for its module and optimizer) cannot be sent back.
    This puts each ``__main__`` class and function that the objects hold (parameters of
    estimators, nested ones too, and what their code uses at module level) into this
    process's ``__main__`` under its name, where no other object has that name already:
    ``pickle`` then writes it by name, and the caller's process, whose ``__main__``
    holds it, reads it back. In the caller's own process it changes nothing (its
    ``__main__`` classes run in ``__main__``'s namespace: they are never put there).

    Parameters
    ----------
    *objects : object
        Estimators or any values (their parameters are searched through
        ``get_params(deep=True)``, containers through their items).
    """
    main = sys.modules.get("__main__")
    if main is None:
        return
    seen = set()
    stack = list(objects)
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if hasattr(value, "get_params") and not isinstance(value, type):
            try:
                stack += list(value.get_params(deep=True).values())
            except Exception:  # an estimator that cannot list its parameters: left be
                pass
            stack.append(type(value))
        elif isinstance(value, (list, tuple, set, frozenset)):
            stack += list(value)
        elif isinstance(value, dict):
            stack += [*value.keys(), *value.values()]
        elif isinstance(value, functools.partial):
            stack += [value.func, *value.args, *value.keywords.values()]
        elif isinstance(value, (type, types.FunctionType)) and value.__module__ in MAIN_MODULES:
            name = value.__qualname__
            rebuilt = not _defined_in(value, main)  # by cloudpickle: not the caller's own
            if rebuilt and "." not in name and "<" not in name and not hasattr(main, name):
                setattr(main, name, value)
            if isinstance(value, type):
                stack += [*value.__bases__, *vars(value).values()]
            else:
                stack += [value.__globals__.get(n) for n in _global_names(value.__code__)]
        elif isinstance(value, (staticmethod, classmethod)):
            stack.append(value.__func__)


def _defined_in(value, module):
    """Whether a class's methods or a function run in ``module``'s own namespace."""
    functions = [value] if isinstance(value, types.FunctionType) else list(vars(value).values())
    return any(getattr(f, "__globals__", None) is vars(module) for f in functions)


def _global_names(code):
    """The names a code object (and the code nested in it) looks up."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names
