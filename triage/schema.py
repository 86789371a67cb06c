"""Pydantic models shared by every stage: the input Ticket, the LLM's Classification
record (the Outlines output type) and the TriageResult returned to callers."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field

CATEGORIES = ("billing", "technical", "account", "feature_request", "general")
URGENCIES = ("P1", "P2", "P3", "P4")
SENTIMENTS = ("angry", "frustrated", "neutral", "positive")
CONFIDENCES = ("high", "medium", "low")

Category = Literal["billing", "technical", "account", "feature_request", "general"]
Urgency = Literal["P1", "P2", "P3", "P4"]
Sentiment = Literal["angry", "frustrated", "neutral", "positive"]
Confidence = Literal["high", "medium", "low"]

SUMMARY_MAX_CHARS = 160
SUBCATEGORY_MAX_CHARS = 40


class EmptyTicketError(ValueError):
    """The ticket has no text to classify (empty, whitespace or only markup)."""


class Ticket(BaseModel):
    text: str = Field(..., description="Ticket body as received (plain text, HTML or email).")
    subject: str = ""
    id: Optional[str] = None
    created_at: Optional[datetime] = None
    customer_tier: Optional[str] = Field(None, description="e.g. free, pro, business, enterprise: scales the SLA "
                                                           "(routing.toml [tier_sla_factor])")
    mrr: Optional[float] = Field(None, ge=0, description="Monthly recurring revenue of the account, if known")


class Classification(BaseModel):
    """What the LLM writes, constrained token by token by Outlines."""

    primary_category: Category
    secondary_category: Optional[Category]
    subcategory: str = Field(..., max_length=SUBCATEGORY_MAX_CHARS)
    urgency: Urgency
    sentiment: Sentiment
    confidence: Confidence
    needs_human_review: bool
    escalation_risk: bool
    summary: str = Field(..., max_length=SUMMARY_MAX_CHARS)


class PIIReport(BaseModel):
    counts: dict[str, int] = Field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Decision(BaseModel):
    """Which layer decided a field, and how sure it was."""

    value: Any = None
    source: str  # "evidence", "rule:<names>", "llm"
    probability: Optional[float] = Field(None, ge=0.0, le=1.0)
    detail: dict = Field(default_factory=dict)


class SimilarTicket(BaseModel):
    id: str
    similarity: float
    category: Optional[str] = None
    urgency: Optional[str] = None
    source: Optional[str] = None
    text: str = ""
    resolution: str = ""


class StageTiming(BaseModel):
    name: str
    seconds: float


class TriageResult(BaseModel):
    ticket_id: Optional[str] = None
    classification: Classification
    language: str
    masked_text: str = Field(..., description="Cleaned, PII-masked text: all the LLM ever saw.")
    truncated: bool = False
    pii: PIIReport = Field(default_factory=PIIReport)
    model: str
    mode: str = "llm"
    decisions: dict[str, Decision] = Field(default_factory=dict)
    escalation_signals: list[str] = Field(default_factory=list)
    p1_signals: list[str] = Field(default_factory=list)
    similar_tickets: list[SimilarTicket] = Field(default_factory=list)
    risk_level: str = "low"
    churn: Optional[Any] = None  # business_signals.Signal
    upsell: Optional[Any] = None
    routing: Optional[Any] = None  # routing.Routing
    draft: Optional[Any] = None  # draft.Draft
    timings: list[StageTiming] = Field(default_factory=list)
    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = Field(0, description="Prompt tokens actually evaluated after KV-cache prefix reuse.")
    generated_tokens: int = 0
    llm_calls: int = 0

    @property
    def total_seconds(self) -> float:
        return sum(t.seconds for t in self.timings)
