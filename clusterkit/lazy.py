"""Names a package exports but imports on first use, so that a command pays only for what it touches.

``clusterkit --help`` needs none of numpy, networkx or scipy, and ``clusterkit validate`` none of the solvers
or the map writers; a package that imported all its submodules up front would make every command pay for all
of them. A package lists its public names and the module of each, and sets
``__getattr__ = lazy_names(__name__, globals(), {...})`` (:pep:`562`): ``from package import Name`` and
``package.Name`` then import the module that defines ``Name`` the first time it is asked for.

Examples
--------
>>> namespace = {"__name__": "toy"}
>>> get = lazy_names("toy", namespace, {"dedent": "textwrap"})
>>> get("dedent")("    indented")
'indented'
>>> "dedent" in namespace  # kept: the next look-up is an ordinary attribute
True
>>> get("missing")
Traceback (most recent call last):
...
AttributeError: module 'toy' has no attribute 'missing'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: str, namespace: dict[str, Any], names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports each of ``names`` (public name -> defining module) on first use.

    The value found is stored in ``namespace`` (the package's ``globals()``), so each import happens once.
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
