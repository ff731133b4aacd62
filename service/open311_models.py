"""The Open311 GeoReport v2 documents (http://wiki.open311.org/GeoReport_v2), field for field.

Each model is one element of the spec's answers; the JSON form is the model, the XML form is the
same fields as child elements (api/open311_xml.py). Datetimes are ISO 8601 strings with offset.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]


class Open311Error(BaseModel):
    """One entry of an error answer: the HTTP status as code, and what went wrong."""

    code: int
    description: str


class Open311Service(BaseModel):
    """A category, as `GET services` lists it."""

    service_code: str
    service_name: str
    description: str
    metadata: bool = Field(description="true when services/{code} defines attributes")
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str = Field(description="comma separated")
    group: str


class AttributeValue(BaseModel):
    key: str
    name: str


class Attribute(BaseModel):
    variable: bool
    code: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool
    datatype_description: str
    order: int
    description: str
    values: list[AttributeValue] = Field(default_factory=list)


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[Attribute]


# The intake fields Open311 has no field for, offered as attributes where they matter.
DISTRICT = Attribute(
    variable=True,
    code="district",
    datatype="string",
    required=False,
    datatype_description="the district (区) the request is in",
    order=1,
    description="District (区): this service is routed by district",
)
PRIORITY = Attribute(
    variable=True,
    code="priority",
    datatype="singlevaluelist",
    required=False,
    datatype_description="normal or urgent",
    order=2,
    description="Priority: urgent requests of this service have shorter targets",
    values=[AttributeValue(key="normal", name="一般"), AttributeValue(key="urgent", name="紧急")],
)
ATTRIBUTE_CODES = (DISTRICT.code, PRIORITY.code)


class RequestForm(BaseModel):
    """`POST requests`, form-encoded; `attribute[code]` fields are read beside these."""

    model_config = ConfigDict(extra="ignore")

    api_key: Annotated[str, StringConstraints(max_length=200)] | None = None
    jurisdiction_id: Text | None = None
    service_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = (
        None
    )
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    long: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    address_string: Text | None = None
    address_id: Text | None = None
    email: Text | None = None
    device_id: Text | None = None
    account_id: Text | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    phone: Text | None = None
    description: LongText | None = None
    media_url: Text | None = None


class RequestCreated(BaseModel):
    """`POST requests` answers one of these, in a list."""

    service_request_id: str = Field(description="the tracking code (查询码)")
    service_notice: str | None = None
    account_id: str | None = None


class ServiceRequest(BaseModel):
    """A request as `GET requests` shows it: nothing of the citizen's contact or staff."""

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None = Field(default=None, description="the unit's public reply")
    service_name: str
    service_code: str
    description: str | None = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    requested_datetime: str
    updated_datetime: str | None = None
    expected_datetime: str | None = Field(default=None, description="the reply's due time")
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None


class RequestToken(BaseModel):
    service_request_id: str
    token: str


class DiscoveryEndpoint(BaseModel):
    specification: str
    url: str
    changeset: str
    type: Literal["production", "test"]
    formats: list[str]


class Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[DiscoveryEndpoint]
