"""Open311 answers in JSON or XML, and its error lists, for every path under /open311.

The XML form is the JSON form's fields as child elements (xml.etree): a list becomes repeated
elements named by its parent (`services` holds `service`s), a bool is `true`/`false`, a missing
value an empty element, as in the spec's examples.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from service.errors import ServiceError
from service.open311_models import Open311Error

PREFIX = "/open311/"
XML = "text/xml; charset=utf-8"
# Open311 answers 403 for any api_key trouble, and 400 for input the JSON API calls 422.
_STATUS = {401: 403, 422: 400}

# The element each list's items get, by the list's own element name.
ITEM = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
# Characters XML 1.0 cannot carry (control characters other than tab, newline, return).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, ITEM.get(element.tag, "item")), item)
    elif value is not None:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    """The document `<root>…</root>` holding value, UTF-8 with its declaration."""
    element = ET.Element(root)
    _fill(element, value)
    document: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return document


def format_of(request: Request) -> str:
    return "xml" if request.url.path.endswith(".xml") else "json"


def answer(format: str, root: str, value: BaseModel | list[Any], status: int = 200) -> Response:
    """The document in the format asked for; root names the XML's root element."""
    if format == "xml":
        return Response(to_xml(root, value), status, media_type=XML)
    if isinstance(value, BaseModel):
        return JSONResponse(value.model_dump(mode="json"), status)
    return JSONResponse([v.model_dump(mode="json") for v in value], status)


def errors(request: Request, error: ServiceError) -> Response:
    """The spec's error list `[{code, description}]` for error, in the format the path asks for."""
    status = _STATUS.get(error.status, error.status)
    body = [Open311Error(code=status, description=error.message)]
    if format_of(request) == "xml":
        return Response(to_xml("errors", body), status, error.headers, XML)
    return JSONResponse([e.model_dump() for e in body], status, error.headers)
