"""The demo directory: the water group's units, categories with default SLA policies, and rules.

Figures follow DOMAIN.md; every one can be changed through the admin API.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.routing import RoutingRule


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    name_zh: str
    duty_24h: bool = False


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    name_zh: str
    clock: str
    reply_within: float
    level2_grace: float
    urgent: bool = False


UNITS = (
    UnitSpec("open_affairs", "Open-affairs office", "办事公开办公室"),
    UnitSpec("business_window", "Business windows", "营业窗口"),
    UnitSpec("pump_station", "Secondary-pressure pump stations", "二次加压泵站", duty_24h=True),
    UnitSpec("pipe_repair", "Pipe-network repair", "管网维修", duty_24h=True),
    UnitSpec("water_quality", "Water quality", "水质"),
    UnitSpec("connections", "New connections and water-use approval", "报装/用水审批"),
    UnitSpec("drainage", "Drainage", "排水"),
)

CATEGORIES = (
    CategorySpec("outage", "Outage or burst main", "停水/爆管", "natural_hours", 4, 2, urgent=True),
    CategorySpec("water_quality", "Water quality", "水质", "natural_hours", 24, 12),
    CategorySpec("billing", "Billing", "水费/收费", "natural_hours", 36, 12),
    CategorySpec("consultation", "Consultation", "咨询", "working_days", 2, 1),
    CategorySpec("help", "Request for help or suggestion", "求助/建议", "working_days", 10, 2),
    CategorySpec(
        "complaint", "Complaint or report of misconduct", "投诉/举报", "working_days", 15, 3
    ),
    CategorySpec(
        "info_disclosure",
        "Information-disclosure request",
        "政府信息公开申请",
        "working_days",
        20,
        5,
    ),
)

RULES = (
    RoutingRule("burst-main", 10, "pipe_repair", "outage", None, ("爆管", "漏水", "burst", "leak")),
    RoutingRule("low-pressure", 20, "pump_station", "outage", None, ("水压", "加压", "pressure")),
    RoutingRule("outage-default", 30, "pipe_repair", "outage"),
    RoutingRule("water-quality", 40, "water_quality", "water_quality"),
    RoutingRule("billing", 50, "business_window", "billing"),
    RoutingRule(
        "new-connection", 60, "connections", None, None, ("报装", "开户", "用水审批", "connection")
    ),
    RoutingRule("drainage", 70, "drainage", None, None, ("排水", "下水道", "drain", "sewer")),
    RoutingRule("consultation", 80, "business_window", "consultation"),
    RoutingRule("info-disclosure", 90, "open_affairs", "info_disclosure"),
)

# One demo account per role; handlers and the unit head belong to pipe-network repair.
DEMO_USERS = (
    ("operator", "operator", None),
    ("handler.pipe", "handler", "pipe_repair"),
    ("head.pipe", "unit_head", "pipe_repair"),
    ("handler.window", "handler", "business_window"),
    ("supervisor", "supervisor", None),
    ("admin", "admin", None),
)

DEMO_INTAKE_KEY = ("web-form", "web")

# The closed-loop policy of each demo category (DOMAIN.md); unset fields keep the defaults.
POLICIES: dict[str, dict[str, object]] = {
    # 停水/爆管: signed for within 30 minutes, reminded every 10 until signed, 4 h to reply.
    "outage": {
        "ack_within": 0.5, "ack_grace": 0.5, "ack_repeat_minutes": 10,
        "supervision_after": 2, "notice_after": 2, "followup_days": 2,
    },
    "water_quality": {"ack_within": 2, "supervision_after": 12, "notice_after": 12},
    "billing": {"ack_unit": "working_hours", "ack_within": 4, "supervision_after": 12},
    "consultation": {
        "ack_unit": "working_hours", "ack_within": 4, "supervision_after": 1, "notice_after": 1,
        "hold_notices": True,
    },
    "help": {"ack_unit": "working_hours", "ack_within": 8, "hold_notices": True},
    "complaint": {
        "ack_unit": "working_hours", "ack_within": 8, "review": "unit_head",
        "supervision_after": 2, "notice_after": 3, "hold_notices": True, "max_extension": 5,
    },
    # 政府信息公开申请: 20 WD, one extension of at most 20 WD, 补正 restarts the clock.
    "info_disclosure": {
        "ack_unit": "working_days", "ack_within": 1, "review": "office", "max_extensions": 1,
        "max_extension": 20, "restart_on_supplement": True, "pause_limit_days": 15,
        "supervision_after": 2, "notice_after": 3, "hold_notices": True,
    },
}  # fmt: skip

# Shorter targets for urgent inquiries of a category (in the category's units).
PRIORITY_TARGETS: dict[tuple[str, str], dict[str, float]] = {
    ("billing", "urgent"): {"reply_within": 12},
    ("consultation", "urgent"): {"reply_within": 1, "ack_within": 2},
    ("complaint", "urgent"): {"reply_within": 5, "ack_within": 4},
}
