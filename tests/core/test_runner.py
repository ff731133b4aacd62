"""The worker skips the sandbox's per-payload context questions only when nothing would read
the answer (core/runner.py); the encrypted histories of tests/workflows/test_codec.py are run on
that worker."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec, SerializationContext, WithSerializationContext
from temporalio.worker import WorkflowInstance, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

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
