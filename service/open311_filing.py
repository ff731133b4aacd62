"""Open311 `POST requests`: the form as the JSON intake's body, filed through that intake.

Filing goes through service.intake.file_inquiry, the JSON API's intake, so every intake rule
(keys, channels, categories, contacts, the durable workflow start) holds here unchanged.
"""

from __future__ import annotations

import asyncpg
from pydantic import ValidationError
from temporalio.client import Client

from service.accounts import hash_intake_key
from service.errors import ServiceError
from service.inquiry_models import InquiryCreate
from service.intake import file_inquiry
from service.intake_directory import IntakeClient, IntakeDirectory
from service.open311_models import ATTRIBUTE_CODES, RequestCreated, RequestForm


async def intake_client(checks: IntakeDirectory, api_key: str | None) -> IntakeClient:
    """The intake form or portal an api_key belongs to (the key fixes the channel); else 403."""
    if not api_key:
        raise ServiceError(403, "invalid_api_key", "api_key is required")
    client = await checks.intake_client(hash_intake_key(api_key))
    if client is None:
        raise ServiceError(403, "invalid_api_key", "the api_key is unknown or revoked")
    return client


def inquiry_of(form: RequestForm, attributes: dict[str, str]) -> InquiryCreate:
    """The JSON intake body the form stands for; 400 naming what is missing or wrong."""
    if not form.service_code:
        raise ServiceError(400, "bad_request", "service_code is required")
    if form.address_string is None and form.lat is None:
        raise ServiceError(
            400, "bad_request", "a location is required: address_string, or lat and long"
        )
    if not form.description:
        raise ServiceError(400, "bad_request", "description is required")
    unknown = sorted(set(attributes) - set(ATTRIBUTE_CODES))
    if unknown:
        raise ServiceError(400, "bad_request", f"unknown attribute: {', '.join(unknown)}")
    name = " ".join(part for part in (form.first_name, form.last_name) if part) or None
    try:
        return InquiryCreate.model_validate(
            {
                "category": form.service_code,
                "content": form.description,
                "citizen": {"name": name, "phone": form.phone, "email": form.email},
                "address": form.address_string,
                "lat": form.lat,
                "long": form.long,
                **attributes,
            }
        )
    except ValidationError as exc:
        raise ServiceError(400, "bad_request", validation_message(exc)) from None


def validation_message(exc: ValidationError) -> str:
    """One line naming each field that did not validate, in the form's own field names."""
    names = {"category": "service_code", "content": "description", "address": "address_string"}
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if p not in ("body", "query", "path", "citizen")]
        field = names.get(loc[0], loc[0]) if loc else "request"
        parts.append(f"{field}: {err['msg']}")
    return "; ".join(parts)


async def file_request(
    pool: asyncpg.Pool,
    temporal: Client,
    checks: IntakeDirectory,
    *,
    task_queue: str,
    form: RequestForm,
    attributes: dict[str, str],
) -> RequestCreated:
    """File the inquiry as the JSON intake does, with the api_key's channel."""
    client = await intake_client(checks, form.api_key)
    filed = await file_inquiry(
        pool,
        temporal,
        checks,
        task_queue=task_queue,
        caller=client,
        body=inquiry_of(form, attributes),
        idempotency_key=None,
    )
    return RequestCreated(
        service_request_id=filed.tracking_code,
        service_notice=f"keep {filed.tracking_code}: it is the only key to follow this request",
    )
