"""A detected span of personal data, and how overlapping detections are resolved."""
from __future__ import annotations

from typing import NamedTuple


class Span(NamedTuple):
    start: int
    end: int
    type: str


# Where detections overlap, a checksum-validated or exact-format type wins over a looser one,
# then the longer span (an IBAN over the phone number inside it, an address over its house number).
LOOSE = {"PHONE": 1, "DOB": 1, "PASSPORT": 1, "ADDRESS": 2, "PERSON": 2}


def resolve(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans, chosen by type strictness, then length (O(n log n) in the span count)."""
    import bisect

    starts: list[int] = []  # sorted starts of the chosen spans
    ends: list[int] = []  # their ends, in the same order
    chosen: list[Span] = []
    for span in sorted(spans, key=lambda s: (LOOSE.get(s.type, 0), -(s.end - s.start), s.start)):
        if span.end <= span.start:
            continue
        i = bisect.bisect_left(starts, span.end)  # chosen spans starting before this one ends
        if i and ends[i - 1] > span.start:
            continue  # the nearest of them reaches into it (chosen spans never overlap each other)
        starts.insert(i, span.start)
        ends.insert(i, span.end)
        chosen.append(span)
    return sorted(chosen)
