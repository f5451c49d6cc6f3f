"""`record`: the plain value classes of the core (a case, the reference data's rows, a decision)
as `dataclasses.dataclass` would make them, for a fraction of the start-up cost.

`polyclinic decide` is one decision per process (issue 18 part B, item 6: within 3x a bare
Python start). Importing `dataclasses` (it imports `inspect`, `ast`, `dis`, `tokenize`…) and
processing the core's sixteen classes with it cost about a fifth of such a decision; this builds
the same methods (only `__init__` compiled, with one small `exec` per class: compiling is what
costs) and imports nothing but `operator`.

What a class gets, as from `@dataclass` (`eq=True`, `frozen` as given): `__init__` taking the
annotated fields in order (a class attribute is the default; `factory(list)` gives each instance
a new value, like `field(default_factory=list)`), `__repr__` `Name(field=value, ...)`, `__eq__`
comparing the fields of two instances of the same class, `__match_args__`; frozen: assigning or
deleting a field raises `FrozenInstanceError` (an AttributeError) and instances hash by their
fields; not frozen: unhashable, as a dataclass with eq is.
"""
from __future__ import annotations

from operator import attrgetter

__all__ = ["FrozenInstanceError", "factory", "record"]


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a frozen record."""


class factory:
    """A field's default made new for each instance: `documents: list = factory(list)`."""

    __slots__ = ("make",)

    def __init__(self, make):
        self.make = make


class _Missing:
    def __repr__(self):
        return "<factory>"


_MISSING = _Missing()   # the default of a factory field in __init__'s signature


def record(cls=None, /, *, frozen: bool = False):
    """Class decorator: see the module's docstring. `@record` or `@record(frozen=True)`."""
    if cls is None:
        return lambda c: _build(c, frozen)
    return _build(cls, frozen)


def _fields(cls) -> list[str]:
    names: list[str] = []
    for klass in reversed(cls.__mro__):     # a base record's fields come first, as in dataclasses
        for name in klass.__dict__.get("__annotations__", {}):
            ann = klass.__dict__["__annotations__"][name]
            if str(ann).startswith("ClassVar"):
                continue
            if name in names:
                names.remove(name)
            names.append(name)
    return names


def _build(cls, frozen: bool):
    names = _fields(cls)
    env: dict = {"_object_setattr": object.__setattr__}
    params, body = [], []
    seen_default = False
    for name in names:
        default = cls.__dict__.get(name, _MISSING)
        if default is _MISSING:
            for klass in cls.__mro__[1:]:
                if name in klass.__dict__:
                    default = klass.__dict__[name]
                    break
        if isinstance(default, factory):
            env[f"_make_{name}"] = default.make
            params.append(f"{name}=_MISSING")
            value = f"_make_{name}() if {name} is _MISSING else {name}"
            env["_MISSING"] = _MISSING
            seen_default = True
        elif default is not _MISSING:
            if isinstance(default, (list, dict, set)):
                raise ValueError(f"mutable default {type(default).__name__} for field {name}: "
                                 f"use factory()")
            env[f"_dflt_{name}"] = default
            params.append(f"{name}=_dflt_{name}")
            value = name
            seen_default = True
        else:
            if seen_default:
                raise TypeError(f"non-default argument {name!r} follows default argument")
            params.append(name)
            value = name
        body.append(f"  _object_setattr(self, {name!r}, {value})" if frozen else f"  self.{name} = {value}")
        if isinstance(default, factory) and name in cls.__dict__:
            delattr(cls, name)      # as dataclasses do: no class attribute for a factory field
    qual = cls.__qualname__
    src = "\n".join([f"def __init__(self, {', '.join(params)}):" if params else "def __init__(self):",
                     *(body or ["  pass"])])
    exec(src, env)  # noqa: S102 - source built above from the class's own field names
    init = env["__init__"]
    init.__qualname__ = f"{qual}.__init__"
    own = set(cls.__dict__)          # methods the class defines itself are kept, as dataclasses do
    if "__init__" not in own:
        cls.__init__ = init
    # the other methods need no source of their own (compiling is what costs at start-up)
    values = attrgetter(*names) if len(names) > 1 else (
        (lambda obj, g=attrgetter(names[0]): (g(obj),)) if names else (lambda obj: ()))
    fields = tuple(names)

    def __repr__(self):
        return f"{self.__class__.__qualname__}(" + ", ".join(
            f"{n}={v!r}" for n, v in zip(fields, values(self))) + ")"

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    methods = {"__repr__": __repr__, "__eq__": __eq__}
    if frozen:
        def __hash__(self):
            return hash(values(self))

        def __setattr__(self, name, value):
            if type(self) is cls or name in fields:
                raise FrozenInstanceError(f"cannot assign to field {name!r}")
            super(cls, self).__setattr__(name, value)

        def __delattr__(self, name):
            if type(self) is cls or name in fields:
                raise FrozenInstanceError(f"cannot delete field {name!r}")
            super(cls, self).__delattr__(name)

        methods.update(__hash__=__hash__, __setattr__=__setattr__, __delattr__=__delattr__)
    elif "__hash__" not in cls.__dict__ or cls.__dict__["__hash__"] is None:
        cls.__hash__ = None
    for name, fn in methods.items():
        if name in own and name != "__hash__":
            continue
        fn.__qualname__ = f"{qual}.{name}"
        setattr(cls, name, fn)
    cls.__match_args__ = tuple(names)
    return cls
