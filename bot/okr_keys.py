"""The one rule for a new objective's or key result's code: keys are unique across an organization's objectives
and key results (people type them: `checkin KEY`, `score KEY`), and fit the 64-character column.

Set-up's first objective, a drafted one and a carried one all take theirs here.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import KeyResult, Objective

LIMIT = 64  # storage.models: Objective.key and KeyResult.key are String(64)


def free_key(session: Session, org_id: int, base: str) -> str:
    """`base`, or `base-2`, `base-3`…: the first one no objective or key result of the organization has.

    Only the keys sharing its first characters are read (a large organization has tens of thousands), and a
    long base is cut so the number still fits."""
    prefix = base[:LIMIT - 8]
    taken = set(session.scalars(select(Objective.key).where(Objective.org_id == org_id,
                                                            Objective.key.like(f"{prefix}%"))))
    taken |= set(session.scalars(select(KeyResult.key).where(KeyResult.org_id == org_id,
                                                             KeyResult.key.like(f"{prefix}%"))))
    candidate, n = base[:LIMIT], 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = base[:LIMIT - len(suffix)] + suffix
    return candidate
