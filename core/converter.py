"""The SDK's JSON payload conversion, with each dataclass's field types read once per class.

The SDK rebuilds a dataclass from its JSON by evaluating `typing.get_type_hints` of the class on
every conversion: with `from __future__ import annotations` that evaluates every field's
annotation string again, for every payload and every nested dataclass (9 % of the worker's CPU
in the first profile, docs/benchmarks.md). `CachedDataclasses` does what the SDK's dataclass
branch of `value_to_type` does, field for field and error for error, but keeps the evaluated
hints per class; every other type still goes the SDK's way, so payloads decode as before.
Each field also gets a fast conversion when its hint is one the cases' payloads are made of (str,
int, float, bool, datetime, a str enum, a dataclass, `X | None`, `list[X]`, `dict[str, X]`). It
takes a value only where its answer is certainly the SDK's (a str for `str`, an ISO string for
`datetime`, …) and hands anything else to `value_to_type`, which converts it or raises its own
error. This skips the SDK's chain of checks per field, and its trial and error over a union's
members: payloads of the committed histories decode 2.7 times faster, to equal values
(docs/levers/converter.md).
Encoding, the SDK's JSON encoder turns a dataclass into a dict with `dataclasses.asdict`, which
deep-copies every nested value first; `ShallowDataclassEncoder` hands the encoder one level at a
time instead, and the encoder comes back for the nested dataclasses: the same JSON, byte for
byte.

The cache is weak: the sandbox defines a workflow module's own dataclasses (CaseInput) anew for
every run, and those classes must be free to go with their run. So a field's fast conversion
holds its dataclass or enum by a weak reference: a cached entry that held its own class (a
dataclass with a field of its own type) would never go.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any

from temporalio.converter import (
    AdvancedJSONEncoder,
    CompositePayloadConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    JSONTypeConverter,
    value_to_type,
)

# name, type hint, whether __init__ takes it, and its fast conversion (None: the SDK's way only)
Fields = tuple[tuple[str, Any, bool, "Fast | None"], ...]
Fast = Callable[[Any], Any]
_fields: weakref.WeakKeyDictionary[type, Fields] = weakref.WeakKeyDictionary()
# What a fast conversion answers when it is not sure to give what value_to_type gives.
_SDK = object()


def _fast(hint: Any) -> Fast | None:
    """A conversion that gives exactly what value_to_type gives for the values it takes, and _SDK
    for any other value (then value_to_type converts it, or raises its own error). None for hints
    it does not know."""
    if hint is Any:
        return lambda value: value
    if hint in (str, int, float, bool):
        exact = hint  # value_to_type returns hint(value), which is value itself for these
        return lambda value: value if type(value) is exact else _SDK
    if hint is datetime:
        return _iso_datetime
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return functools.partial(_dataclass, weakref.ref(hint))
    if isinstance(hint, type) and issubclass(hint, enum.Enum) and issubclass(hint, str):
        return functools.partial(_str_enum, weakref.ref(hint))
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        inner = _fast(args[0] if args[1] is type(None) else args[1])
        return None if inner is None else functools.partial(_optional, inner)
    if origin is list and len(args) == 1:
        item = _fast(args[0])
        return None if item is None else functools.partial(_list, item)
    if origin is dict and len(args) == 2 and args[0] is str:
        item = _fast(args[1])
        return None if item is None else functools.partial(_str_dict, item)
    return None


def _iso_datetime(value: Any) -> Any:
    if type(value) is not str:
        return _SDK
    try:
        return datetime.fromisoformat(value)  # value_to_type's parser on Python 3.11+
    except ValueError:
        return _SDK


def _dataclass(hint: weakref.ref[type], value: Any) -> Any:
    cls = hint()
    if cls is None or type(value) is not dict:
        return _SDK
    try:
        return _CACHED.to_typed_value(cls, value)
    except Exception:  # value_to_type raises it again, its own way
        return _SDK


def _str_enum(hint: weakref.ref[type[enum.Enum]], value: Any) -> Any:
    cls = hint()
    if cls is None or type(value) is not str:
        return _SDK
    try:
        return cls(value)
    except ValueError:
        return _SDK


def _optional(inner: Fast, value: Any) -> Any:
    # value_to_type tries the union's members in turn: None converts only to None, and a value
    # the other member takes converts to what that member gives.
    return None if value is None else inner(value)


def _list(item: Fast, value: Any) -> Any:
    if type(value) is not list:
        return _SDK
    converted = [item(v) for v in value]
    return _SDK if any(c is _SDK for c in converted) else converted


def _str_dict(item: Fast, value: Any) -> Any:
    if type(value) is not dict or any(type(k) is not str for k in value):
        return _SDK
    converted = {k: item(v) for k, v in value.items()}
    return _SDK if any(c is _SDK for c in converted.values()) else converted


def _fields_of(cls: type) -> Fields:
    fields = _fields.get(cls)
    if fields is None:
        # Not cached when it raises: a hint that cannot be resolved now fails as the SDK fails.
        hints = typing.get_type_hints(cls)
        fields = tuple(
            (f.name, hints[f.name], f.init, _fast(hints[f.name])) for f in dataclasses.fields(cls)
        )
        _fields[cls] = fields
    return fields


class CachedDataclasses(JSONTypeConverter):
    """The SDK's dataclass conversion (temporalio.converter.value_to_type) with the hints cached."""

    def to_typed_value(self, hint: type, value: Any) -> Any:
        if not (isinstance(hint, type) and dataclasses.is_dataclass(hint)):
            return JSONTypeConverter.Unhandled
        if not isinstance(value, dict):
            raise TypeError(f"Cannot convert to dataclass {hint}, value is {type(value)} not dict")
        field_values = {}
        non_init_field_values = {}
        for name, field_hint, init, fast in _fields_of(hint):
            field_value = value.get(name, dataclasses.MISSING)
            if field_value is dataclasses.MISSING:
                continue  # the dataclass's own __init__ refuses a missing required field
            converted = _SDK if fast is None else fast(field_value)
            if converted is _SDK:
                try:
                    converted = value_to_type(field_hint, field_value, _CONVERTERS)
                except Exception as err:
                    raise TypeError(f"Failed converting field {name} on dataclass {hint}") from err
            if init:
                field_values[name] = converted
            else:
                non_init_field_values[name] = converted
        obj = hint(**field_values)
        for name, field_value in non_init_field_values.items():
            object.__setattr__(obj, name, field_value)
        return obj


_CACHED = CachedDataclasses()
_CONVERTERS = (_CACHED,)


class ShallowDataclassEncoder(AdvancedJSONEncoder):
    """The SDK's JSON encoder, a dataclass's fields taken one level at a time."""

    def default(self, o: Any) -> Any:
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return {f.name: getattr(o, f.name) for f in dataclasses.fields(o)}
        return super().default(o)


class PayloadConverter(CompositePayloadConverter):
    """The SDK's default payload converters, with JSON through ShallowDataclassEncoder and
    CachedDataclasses."""

    def __init__(self) -> None:
        super().__init__(
            *(
                JSONPlainPayloadConverter(
                    encoder=ShallowDataclassEncoder, custom_type_converters=_CONVERTERS
                )
                if isinstance(converter, JSONPlainPayloadConverter)
                else converter
                for converter in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )
