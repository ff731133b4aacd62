"""The workflow sandbox, without a trip into it for every payload sequence the worker encodes.

Around every workflow activation the SDK encodes and decodes payloads outside the workflow, and
for each payload sequence (an activity's arguments, a marker's result, an update's answer) it
asks the workflow instance which serialization context and external-storage target apply. The
sandboxed instance answers by executing a snippet inside the sandbox each time: 10–14 % of the
worker's CPU in a profile of the benchmark's lifecycle phase (notes/wcpu.md). The answer only
matters to a codec or converter that takes a context (WithSerializationContext) and to external
storage; the service's codec and converters take none and it stores no payload externally, so
`ContextFreeSandboxRunner` answers "no context" without entering the sandbox.

The sandbox also re-executes a workflow's module, and every module it imports that is not passed
through, for each new run and for each run that leaves the worker's cache and is replayed: about
10 ms of the worker per case (the `@workflow.defn` checks of 21 handlers, the classes, the
importer's wrapping), against 0.3 ms when the `workflows` package is passed through
(docs/levers/sandbox.md). The worker passes it through (`shared_workflow_modules`). What that
gives up, and what stands in for it:
- Isolation of module state between runs: the workflows' modules hold constants only, and
  tests/core/test_runner.py fails on a module-level value a run could change.
- The sandbox's check of the workflow modules' own calls (`datetime.now()` in workflows/case.py
  would no longer raise): the builtins stay restricted in every run, and the replay tests run
  every committed history in the SDK's default, fully isolated sandbox, where such a call fails.
  The domain package was already passed through, kept pure by its own rules.
"""

from __future__ import annotations

from collections.abc import Sequence

import temporalio.converter
import temporalio.workflow
from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.converter import (
    SerializationContext,
    StorageDriverStoreContext,
    WithSerializationContext,
)
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

WORKFLOW_PACKAGE = "workflows"
# The workflows import the domain inside `imports_passed_through()` already. Named here too, so
# that the sandbox's `sys.modules` finds a domain module imported outside it: decoding a payload
# resolves its dataclass's type hints through the module the class was defined in.
DOMAIN_PACKAGE = "domain"


def shared_workflow_modules() -> SandboxedWorkflowRunner:
    """The SDK's sandbox with the service's own workflow modules passed through: loaded once
    per worker process, not once per run."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(
            WORKFLOW_PACKAGE, DOMAIN_PACKAGE
        )
    )


def takes_no_context(converter: temporalio.converter.DataConverter) -> bool:
    """Whether none of the converter's parts reads a serialization context or stores payloads
    externally, so that asking a workflow for either changes nothing."""
    parts = (converter.payload_codec, converter.failure_converter)
    payload_converters = getattr(converter.payload_converter, "converters", {}).values()
    return (
        converter.external_storage is None
        and not any(isinstance(part, WithSerializationContext) for part in parts)
        and not any(isinstance(part, WithSerializationContext) for part in payload_converters)
    )


class ContextFreeSandboxRunner(WorkflowRunner):
    """The SDK's sandboxed runner; its instances answer the context questions from outside."""

    def __init__(self, sandboxed: SandboxedWorkflowRunner | None = None) -> None:
        self._sandboxed = sandboxed or shared_workflow_modules()

    def prepare_workflow(self, defn: temporalio.workflow._Definition) -> None:
        self._sandboxed.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _ContextFreeInstance(self._sandboxed.create_instance(det))

    def set_worker_level_failure_exception_types(
        self, types: Sequence[type[BaseException]]
    ) -> None:
        self._sandboxed.set_worker_level_failure_exception_types(types)


class _ContextFreeInstance(WorkflowInstance):
    def __init__(self, sandboxed: WorkflowInstance) -> None:
        self._sandboxed = sandboxed

    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        return self._sandboxed.activate(act)

    def get_serialization_context(self, command_info: object) -> SerializationContext | None:
        return None  # the context-free converter, as for a workflow-level payload

    def get_external_store_context(self, command_info: object) -> StorageDriverStoreContext:
        return StorageDriverStoreContext(target=None)  # what the sandbox answers by default

    def get_info(self) -> temporalio.workflow.Info:
        return self._sandboxed.get_info()

    def get_thread_id(self) -> int | None:
        return self._sandboxed.get_thread_id()
