"""主办/协办: one co-handling unit's part of a case, with its own task and deadline."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseActivities
    from domain.case import CoHandlerResult
    from domain.models import Role
    from domain.transition import CoHandlingAnswer, CoHandlingInput, CoHandlingRecord

from workflows.options import execute


@workflow.defn
class CoHandlingWorkflow:
    def __init__(self) -> None:
        self._unit = ""
        self._answer: CoHandlingAnswer | None = None
        self._reported = False

    @workflow.run
    async def run(self, task: CoHandlingInput) -> CoHandlerResult:
        self._unit = task.unit_code
        await self._record(task, "open")
        remaining = task.due_at - workflow.now()
        try:
            await workflow.wait_condition(
                lambda: self._answer is not None, timeout=max(remaining, timedelta(seconds=1))
            )
        except TimeoutError:
            pass
        if self._answer is not None:
            await self._record(task, "answered", self._answer)
            result = CoHandlerResult(
                unit_code=task.unit_code,
                outcome="answered",
                content=self._answer.content,
                answered_by=self._answer.actor.username,
            )
        else:
            # The deadline passed: the co-handler is escalated and the lead may reply without it.
            await self._record(task, "escalated")
            result = CoHandlerResult(unit_code=task.unit_code, outcome="escalated")
        lead = workflow.get_external_workflow_handle_for(
            lead_case.CaseWorkflow.run, task.parent_workflow_id
        )
        await lead.signal(lead_case.CaseWorkflow.cohandler_done, result)
        self._reported = True
        await workflow.wait_condition(workflow.all_handlers_finished)
        return result

    @workflow.update
    async def submit_input(self, answer: CoHandlingAnswer) -> str:
        """Answers once the lead case has been told, so the lead may reply right after."""
        self._answer = answer
        await workflow.wait_condition(lambda: self._reported)
        return "answered"

    @submit_input.validator
    def _validate(self, answer: CoHandlingAnswer) -> None:
        lead_case.in_time(answer)  # refused once the API stopped waiting for it
        if answer.actor.role not in (Role.HANDLER, Role.UNIT_HEAD):
            raise ApplicationError("only the co-handling unit's staff answer", type="Forbidden")
        if answer.actor.unit_code != self._unit:
            raise ApplicationError(f"this part belongs to {self._unit}", type="WrongUnit")
        if self._answer is not None:
            raise ApplicationError("this unit has answered already", type="WrongState")
        if not answer.content.strip():
            raise ApplicationError("the answer is empty", type="Invalid")

    async def _record(
        self, task: CoHandlingInput, status: str, answer: CoHandlingAnswer | None = None
    ) -> None:
        await execute(
            CaseActivities.record_cohandling,
            CoHandlingRecord(
                inquiry_id=task.inquiry_id,
                unit_code=task.unit_code,
                status=status,
                at=workflow.now(),
                due_at=task.due_at,
                content=answer.content if answer else None,
                answered_by=answer.actor.username if answer else None,
            ),
        )


# The lead case's module starts this workflow, so it imports this module; the way back is imported
# last, once CoHandlingWorkflow exists, and used by module name (either may be imported first).
from workflows import case as lead_case  # noqa: E402
