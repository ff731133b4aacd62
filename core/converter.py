"""The SDK's JSON payload conversion, with each dataclass's field types read once per class.

The SDK rebuilds a dataclass from its JSON by evaluating `typing.get_type_hints` of the class on
every conversion: with `from __future__ import annotations` that evaluates every field's
annotation string again, for every payload and every nested dataclass (9 % of the worker's CPU
in the first profile, docs/benchmarks.md). `CachedDataclasses` does what the SDK's dataclass
branch of `value_to_type` does, field for field and error for error, but keeps the evaluated
hints per class; every other type still goes the SDK's way, so payloads decode as before.
Encoding, the SDK's JSON encoder turns a dataclass into a dict with `dataclasses.asdict`, which
deep-copies every nested value first; `ShallowDataclassEncoder` hands the encoder one level at a
time instead, and the encoder comes back for the nested dataclasses: the same JSON, byte for
byte.

The cache is weak: the sandbox defines a workflow module's own dataclasses (CaseInput) anew for
every run, and those classes must be free to go with their run.
"""

from __future__ import annotations

import dataclasses
import typing
import weakref
from typing import Any

from temporalio.converter import (
    AdvancedJSONEncoder,
    CompositePayloadConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    JSONTypeConverter,
    value_to_type,
)

# name, type hint and whether __init__ takes it, per field of a dataclass
Fields = tuple[tuple[str, Any, bool], ...]
_fields: weakref.WeakKeyDictionary[type, Fields] = weakref.WeakKeyDictionary()


def _fields_of(cls: type) -> Fields:
    fields = _fields.get(cls)
    if fields is None:
        # Not cached when it raises: a hint that cannot be resolved now fails as the SDK fails.
        hints = typing.get_type_hints(cls)
        fields = tuple((f.name, hints[f.name], f.init) for f in dataclasses.fields(cls))
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
        for name, field_hint, init in _fields_of(hint):
            field_value = value.get(name, dataclasses.MISSING)
            if field_value is dataclasses.MISSING:
                continue  # the dataclass's own __init__ refuses a missing required field
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


_CONVERTERS = (CachedDataclasses(),)


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
