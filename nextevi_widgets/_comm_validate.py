"""Check incoming comm messages against their declarations in :mod:`._comm` before dispatch.

The TypedDicts are read once (``typing.get_type_hints``, ``get_origin``/``get_args``) into a
small shape model that :mod:`._comm_codegen` also turns into TypeScript; each message kind is
compiled into a list of per-field check functions, so checking a message is a dict lookup and
one call per field (an ``audio_frame`` arrives 50 times a second per session; see
``benchmarks/bench_comm.py``). Extra keys pass (a newer page may add some); a missing required
field or a value of the wrong type raises :class:`CommMessageError` naming the kind and the
field.

JSON numbers: ``int`` accepts an integral float (``5.0``, which is ``5`` to JavaScript), stored
back as ``int``; ``float`` accepts integers; ``bool`` is neither.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from ._comm import COMM_UNIONS, ENUMS

__all__ = [
    "AnyOf",
    "CommMessageError",
    "Field",
    "ListOf",
    "Lit",
    "MessageSpec",
    "Prim",
    "Shape",
    "TupleOf",
    "UnionValidator",
    "describe",
    "message_spec",
    "shape_of",
    "typed_dict_bases",
    "typed_dict_fields",
    "validator",
]

T = TypeVar("T")


# Shape model ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prim:
    name: Literal["str", "int", "float", "bool", "null"]


@dataclass(frozen=True)
class Lit:
    values: tuple[str, ...]
    alias: str | None = None
    """Name in :data:`._comm.ENUMS`, if the literal is a named enum."""


@dataclass(frozen=True)
class ListOf:
    item: Shape


@dataclass(frozen=True)
class TupleOf:
    items: tuple[Shape, ...]


@dataclass(frozen=True)
class AnyOf:
    options: tuple[Shape, ...]


Shape = Prim | Lit | ListOf | TupleOf | AnyOf

_PRIMS: dict[Any, Prim] = {
    str: Prim("str"),
    int: Prim("int"),
    float: Prim("float"),
    bool: Prim("bool"),
    type(None): Prim("null"),
}


@dataclass(frozen=True)
class Field:
    name: str
    shape: Shape
    required: bool


@dataclass(frozen=True)
class MessageSpec:
    name: str
    """The TypedDict's name."""
    kind: str
    fields: tuple[Field, ...]
    """``kind`` first, then in declaration order (inherited envelope fields last)."""
    bases: tuple[str, ...]
    """Declared TypedDict bases (``Envelope``)."""


def shape_of(hint: Any) -> Shape:
    """The shape of a field's type hint; :class:`TypeError` for a type the protocol cannot
    carry (the generator and the tests then fail at once)."""
    if hint in _PRIMS:
        return _PRIMS[hint]
    origin, args = get_origin(hint), get_args(hint)
    if origin is Literal:
        if not all(isinstance(a, str) for a in args):
            raise TypeError(f"comm literals must be strings: {hint!r}")
        alias = next((name for name, enum in ENUMS.items() if get_args(enum) == args), None)
        return Lit(tuple(args), alias if len(args) > 1 else None)
    if origin is list:
        return ListOf(shape_of(args[0]))
    if origin is tuple and args and args[-1] is not Ellipsis:
        return TupleOf(tuple(shape_of(a) for a in args))
    if origin in (Union, types.UnionType):
        return AnyOf(tuple(shape_of(a) for a in args))
    raise TypeError(f"unsupported comm field type {hint!r}")


def message_spec(cls: Any) -> MessageSpec:
    """The fields of the message TypedDict ``cls`` (its ``kind`` a one-string ``Literal``)."""
    hints = get_type_hints(cls)
    kind = get_args(hints.get("kind"))
    if get_origin(hints.get("kind")) is not Literal or len(kind) != 1:
        raise TypeError(f"{cls.__name__}.kind must be a Literal of one string")
    fields = typed_dict_fields(cls)
    ordered = (
        *(f for f in fields if f.name == "kind"),
        *(f for f in fields if f.name != "kind"),
    )
    return MessageSpec(cls.__name__, kind[0], ordered, typed_dict_bases(cls))


def typed_dict_fields(cls: Any, *, own: bool = False) -> tuple[Field, ...]:
    """The fields of a TypedDict in declaration order, inherited ones after its own (only its
    own with ``own``)."""
    hints = get_type_hints(cls)
    inherited = {name for base in _bases(cls) for name in get_type_hints(base)}
    declared = [n for n in inspect.get_annotations(cls) if n not in inherited]
    names = declared if own else [*declared, *(n for n in hints if n not in declared)]
    return tuple(Field(n, shape_of(hints[n]), n in cls.__required_keys__) for n in names)


def _bases(cls: Any) -> tuple[Any, ...]:
    return tuple(b for b in getattr(cls, "__orig_bases__", ()) if b.__name__ != "TypedDict")


def typed_dict_bases(cls: Any) -> tuple[str, ...]:
    """Names of the TypedDicts ``cls`` extends."""
    return tuple(b.__name__ for b in _bases(cls))


def describe(shape: Shape) -> str:
    """What a value of ``shape`` is, in words (the same words as the generated guards)."""
    if isinstance(shape, Prim):
        return {
            "str": "a string",
            "int": "an integer",
            "float": "a number",
            "bool": "true or false",
            "null": "null",
        }[shape.name]
    if isinstance(shape, Lit):
        return "one of " + ", ".join(repr(v) for v in shape.values)
    if isinstance(shape, ListOf):
        return f"a list of ({describe(shape.item)})"
    if isinstance(shape, TupleOf):
        return f"a list of {len(shape.items)} ({', '.join(describe(s) for s in shape.items)})"
    return " or ".join(describe(s) for s in shape.options)


# Checking -------------------------------------------------------------------------------------


class CommMessageError(ValueError):
    """A comm message that does not match its declaration."""

    def __init__(self, kind: object, field: str | None, problem: str) -> None:
        self.kind = kind
        self.field = field
        where = f"{kind}" if field is None else f"{kind}: field {field!r}"
        super().__init__(f"{where} {problem}")


_Check = Callable[[Any], bool]


def _is_int(v: Any) -> bool:
    return (type(v) is int) or (type(v) is float and v.is_integer())


def _compile(shape: Shape) -> _Check:
    """A predicate for ``shape`` (closures over closures: one call per level)."""
    if isinstance(shape, Prim):
        if shape.name == "str":
            return lambda v: type(v) is str
        if shape.name == "int":
            return _is_int
        if shape.name == "float":
            return lambda v: type(v) is float or type(v) is int
        if shape.name == "bool":
            return lambda v: type(v) is bool
        return lambda v: v is None
    if isinstance(shape, Lit):
        allowed = frozenset(shape.values)
        return lambda v: type(v) is str and v in allowed
    if isinstance(shape, ListOf):
        item = _compile(shape.item)
        return lambda v: type(v) is list and all(item(x) for x in v)
    if isinstance(shape, TupleOf):
        items = tuple(_compile(s) for s in shape.items)
        size = len(items)
        return lambda v: (
            type(v) in (list, tuple)
            and len(v) == size
            and all(c(x) for c, x in zip(items, v, strict=True))
        )
    options = tuple(_compile(s) for s in shape.options)
    return lambda v: any(c(v) for c in options)


def _got(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class _Compiled:
    spec: MessageSpec
    checks: tuple[tuple[str, bool, _Check, Shape], ...]
    ints: tuple[str, ...]
    """Top-level ``int`` fields: an integral float there is stored back as ``int``."""


class UnionValidator(Generic[T]):
    """Validates messages of one union (one widget, one direction), dispatching on ``kind``."""

    def __init__(self, name: str, members: tuple[Any, ...]) -> None:
        self.name = name
        self._by_kind: dict[str, _Compiled] = {}
        for cls in members:
            spec = message_spec(cls)
            checks = tuple(
                (f.name, f.required, _compile(f.shape), f.shape)
                for f in spec.fields
                if f.name != "kind"
            )
            ints = tuple(f.name for f in spec.fields if f.shape == Prim("int"))
            self._by_kind[spec.kind] = _Compiled(spec, checks, ints)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self._by_kind)

    def validate(self, content: object) -> T:
        """``content`` as its declared message type, or :class:`CommMessageError`."""
        if type(content) is not dict:
            if not isinstance(content, Mapping):
                raise CommMessageError(self.name, None, f"is not an object (got {_got(content)})")
            content = dict(content)
        kind = content.get("kind")
        compiled = self._by_kind.get(kind) if type(kind) is str else None
        if compiled is None:
            known = ", ".join(repr(k) for k in self._by_kind)
            raise CommMessageError(self.name, "kind", f"must be one of {known} (got {_got(kind)})")
        for name, required, check, shape in compiled.checks:
            if name in content:
                if not check(content[name]):
                    raise CommMessageError(
                        kind, name, f"must be {describe(shape)} (got {_got(content[name])})"
                    )
            elif required:
                raise CommMessageError(kind, name, "is missing")
        for name in compiled.ints:
            value = content.get(name)
            if type(value) is float:
                content[name] = int(value)
        return content  # type: ignore[return-value]


_VALIDATORS: dict[str, UnionValidator[Any]] = {}


def validator(name: str) -> UnionValidator[Any]:
    """The validator of the union ``name`` in :data:`._comm.COMM_UNIONS` (built once)."""
    found = _VALIDATORS.get(name)
    if found is None:
        union = next((u for u in COMM_UNIONS if u.name == name), None)
        if union is None:
            raise KeyError(f"no comm union {name!r}")
        found = _VALIDATORS[name] = UnionValidator(name, union.members)
    return found
