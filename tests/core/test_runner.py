"""The worker skips the sandbox's per-payload context questions only when nothing would read
the answer (core/runner.py); the encrypted histories of tests/workflows/test_codec.py are run on
that worker. It loads the workflows' own modules once per process, and they hold no state."""

from __future__ import annotations
import __future__

import dataclasses
import importlib
import inspect
import pkgutil
import types
import typing
from collections.abc import Sequence
from datetime import timedelta, tzinfo

from temporalio.api.common.v1 import Payload
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.converter import PayloadCodec, SerializationContext, WithSerializationContext
from temporalio.worker import WorkflowInstance, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from core import runner
from core.codec import EncryptionCodec, KeyRing
from core.runner import ContextFreeSandboxRunner, takes_no_context
from core.temporal import data_converter
from tests.conftest import Service


class ContextualCodec(PayloadCodec, WithSerializationContext):
    """A codec that would encode differently per workflow or activity."""

    def with_context(self, context: SerializationContext) -> ContextualCodec:
        return self

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)


def codec() -> EncryptionCodec:
    return EncryptionCodec(KeyRing(keys={"k": b"0" * 32}, current="k"))


def test_the_service_converter_takes_no_context() -> None:
    assert takes_no_context(data_converter(codec()))


def test_a_codec_that_takes_a_context_keeps_the_sandbox_answering() -> None:
    contextual = dataclasses.replace(data_converter(codec()), payload_codec=ContextualCodec())
    assert not takes_no_context(contextual)


def test_the_service_worker_runs_its_workflows_in_the_sandbox_without_context(
    service: Service,
) -> None:
    runner = service.worker.config()["workflow_runner"]
    assert isinstance(runner, ContextFreeSandboxRunner)
    assert isinstance(runner._sandboxed, SandboxedWorkflowRunner)


def test_the_wrappers_forward_every_method_the_sdk_defines() -> None:
    """An SDK release that adds a method to WorkflowRunner or WorkflowInstance, even one with a
    default, must be forwarded to the sandbox (or answered) here before the upgrade: else the
    wrapper would answer with the base class's default instead of the sandboxed instance."""
    for base, wrapper in (
        (WorkflowRunner, ContextFreeSandboxRunner),
        (WorkflowInstance, runner._ContextFreeInstance),
    ):
        defined = {
            name
            for name, _ in inspect.getmembers(base, inspect.isfunction)
            if not name.startswith("__")
        }
        assert defined, f"{base.__name__} defines no method: the check would prove nothing"
        missing = sorted(name for name in defined if name not in vars(wrapper))
        assert not missing, f"{wrapper.__name__} does not forward {missing}"


# Values a run cannot change: the workflows' modules are shared by every run of a worker process.
_CONSTANT_KINDS: tuple[type, ...] = (
    types.ModuleType,
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    typing.TypeVar,
    typing.ParamSpec,
    __future__._Feature,
    str,
    bytes,
    int,
    float,
    type(None),
    timedelta,
    tzinfo,
    SearchAttributeKey,
    types.MappingProxyType,
    # The SDK reads a retry policy into each command it sends; nothing writes to it.
    RetryPolicy,
)


def _constant(value: object) -> bool:
    if isinstance(value, (tuple, frozenset)):
        return all(_constant(item) for item in value)
    if isinstance(value, types.MappingProxyType):
        return all(_constant(k) and _constant(v) for k, v in value.items())
    return isinstance(value, _CONSTANT_KINDS) or _is_typing_form(value)


def _is_typing_form(value: object) -> bool:
    return type(value).__module__ == "typing"  # Any, Callable[...] and the like


def _workflow_modules() -> list[types.ModuleType]:
    package = importlib.import_module(runner.WORKFLOW_PACKAGE)
    names = [info.name for info in pkgutil.iter_modules(package.__path__)]
    return [importlib.import_module(f"{runner.WORKFLOW_PACKAGE}.{name}") for name in names]


def test_the_worker_loads_the_workflow_modules_once_per_process(service: Service) -> None:
    sandboxed = service.worker.config()["workflow_runner"]._sandboxed
    restrictions = sandboxed.restrictions
    assert restrictions.passthrough_modules >= {runner.WORKFLOW_PACKAGE}
    assert not restrictions.passthrough_all_modules  # every other module as the SDK decides
    # The builtins and module members the SDK forbids stay forbidden in every run.
    assert restrictions.invalid_module_members == SandboxRestrictions.default.invalid_module_members


def test_the_shared_workflow_modules_hold_no_state_a_run_could_change() -> None:
    """A module-level list, dict, set or object would be shared by every case the worker runs;
    state belongs on the workflow instance."""
    modules = _workflow_modules()
    assert len(modules) >= 5, "the check found too few workflow modules to prove anything"
    changeable = [
        f"{module.__name__}.{name}: {type(value).__name__}"
        for module in modules
        for name, value in vars(module).items()
        if not name.startswith("__") and not _constant(value)
    ]
    assert not changeable, f"module state shared between runs: {changeable}"


def test_the_check_of_module_state_tells_a_list_from_a_constant() -> None:
    assert not _constant([])
    assert not _constant({"a": 1})
    assert not _constant(("a", []))
    assert _constant(("a", timedelta(seconds=1), SearchAttributeKey.for_bool("Overdue")))
