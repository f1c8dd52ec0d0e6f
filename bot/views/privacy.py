"""Who may see an individual objective: its owner and the owner's manager, nobody else.

"Personal OKRs only need to be communicated one-on-one": company, department and team objectives are
open to everyone in the organization, an individual one only to the two people it is discussed between.
One rule, in two forms: `may_see` for one objective already loaded, `visible_individual` as a SQL
condition for a page that lists many.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, aliased

from storage.models import Objective, Person


def may_see(session: Session, objective: Objective, viewer: Person | None) -> bool:
    """Whether `viewer` (None: an anonymous visitor) may see `objective`."""
    if objective.level != "individual":
        return True
    if viewer is None:
        return False
    owner = session.get(Person, objective.owner_person_id) if objective.owner_person_id else None
    return owner is not None and viewer.id in (owner.id, owner.manager_id)


def visible_individual(viewer: Person | None) -> ColumnElement[bool] | None:
    """The individual objectives `viewer` may see (their own and their direct reports'), as a condition on
    Objective; None when they may see none (an anonymous visitor)."""
    if viewer is None:
        return None
    owner = aliased(Person)
    return Objective.owner_person_id.in_(
        select(owner.id).where(owner.org_id == viewer.org_id, or_(owner.id == viewer.id, owner.manager_id == viewer.id))
    )
