"""Routing: team, escalation team, SLA due time and queues, from an editable TOML file."""
from __future__ import annotations

import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from triage.schema import CATEGORIES, SENTIMENTS, URGENCIES

DEFAULT_ROUTING_FILE = Path(__file__).with_name("routing.toml")
RISK_LEVELS = ("low", "medium", "high", "critical")


class RoutingConfigError(ValueError):
    """The routing file is invalid; the message names the key and the allowed values."""


class TeamRule(BaseModel, extra="forbid"):
    team: str = Field(min_length=1)
    escalation_team: str = Field(min_length=1)


class EscalateWhen(BaseModel, extra="forbid"):
    urgencies: list[Literal["P1", "P2", "P3", "P4"]] = ["P1"]
    risk_levels: list[Literal["low", "medium", "high", "critical"]] = ["high", "critical"]
    sentiments: list[Literal["angry", "frustrated", "neutral", "positive"]] = ["angry"]


class AutoReply(BaseModel, extra="forbid"):
    min_similarity: float = Field(0.85, ge=0.0, le=1.0)
    urgencies: list[Literal["P1", "P2", "P3", "P4"]] = ["P3", "P4"]


class Review(BaseModel, extra="forbid"):
    queue: str = "Human review"


class RoutingConfig(BaseModel, extra="forbid"):
    teams: dict[str, TeamRule]
    sla_hours: dict[str, list[float]]
    escalate_when: EscalateWhen = EscalateWhen()
    review: Review = Review()
    auto_reply: AutoReply = AutoReply()
    tier_sla_factor: dict[str, float] = Field(default_factory=dict)  # customer tier -> SLA hours multiplier

    @field_validator("teams", "sla_hours")
    @classmethod
    def every_category(cls, value: dict, info):
        unknown = sorted(set(value) - set(CATEGORIES))
        missing = sorted(set(CATEGORIES) - set(value))
        if unknown or missing:
            raise ValueError(f"categories must be exactly {', '.join(CATEGORIES)}"
                             + (f"; unknown: {', '.join(unknown)}" if unknown else "")
                             + (f"; missing: {', '.join(missing)}" if missing else ""))
        return value

    @model_validator(mode="after")
    def four_positive_slas(self):
        for category, hours in self.sla_hours.items():
            if len(hours) != 4 or any(h <= 0 for h in hours):
                raise ValueError(f"sla_hours.{category} must be 4 positive numbers of hours for P1, P2, P3, P4")
        for tier, factor in self.tier_sla_factor.items():
            if factor <= 0:
                raise ValueError(f"tier_sla_factor.{tier} must be a positive number")
        return self


def load_routing(path: Path | None = None) -> RoutingConfig:
    path = Path(path or DEFAULT_ROUTING_FILE)
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise RoutingConfigError(f"Routing file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RoutingConfigError(f"Routing file {path} is not valid TOML: {exc}") from exc
    try:
        return RoutingConfig.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            msg = err["msg"]
            if err.get("type") == "literal_error":
                msg = f"got {err.get('input')!r}; allowed: {err['ctx']['expected']}"
            problems.append(f"{key}: {msg}")
        raise RoutingConfigError(f"Invalid routing file {path}: " + "; ".join(problems)) from exc


class Routing(BaseModel):
    team: str
    escalated: bool
    escalation_reasons: list[str] = Field(default_factory=list)
    queue: str  # where the ticket goes: the team, its escalation team, or the human-review queue
    sla_hours: float  # the category's SLA for the urgency, times the customer tier's factor
    customer_tier: Optional[str] = None
    due_at: datetime
    human_review: bool


def route(config: RoutingConfig, category: str, urgency: str, sentiment: str, risk_level: str,
          needs_human_review: bool, created_at: Optional[datetime] = None, customer_tier: Optional[str] = None) -> Routing:
    if category not in CATEGORIES or urgency not in URGENCIES or sentiment not in SENTIMENTS or risk_level not in RISK_LEVELS:
        raise ValueError(f"cannot route {category}/{urgency}/{sentiment}/{risk_level}")
    created = created_at or datetime.now(timezone.utc)
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    rule = config.teams[category]
    when = config.escalate_when
    reasons = [r for r, on in ((f"urgency {urgency}", urgency in when.urgencies),
                               (f"escalation risk {risk_level}", risk_level in when.risk_levels),
                               (f"sentiment {sentiment}", sentiment in when.sentiments)) if on]
    hours = config.sla_hours[category][URGENCIES.index(urgency)] * config.tier_sla_factor.get(customer_tier or "", 1.0)
    team = rule.escalation_team if reasons else rule.team
    return Routing(team=team, escalated=bool(reasons), escalation_reasons=reasons,
                   queue=config.review.queue if needs_human_review else team, sla_hours=hours,
                   customer_tier=customer_tier, due_at=created + timedelta(hours=hours), human_review=needs_human_review)
