"""Finding key results the way people refer to them: position in `mine`, short code, title fragment."""

from __future__ import annotations

from sqlalchemy import bindparam, case, func, select

from bot import i18n
from bot.away import delegated_by
from bot.context import CURRENT_CYCLE_ID, Ctx, cycle_params
from bot.errors import Refusal
from bot.levels import Level
from storage.models import KeyResult, Objective, Person, Team

LEVEL_ORDER = Level.sql_rank(Objective.level)


def colour(confidence: int, red_max: int, green_min: int) -> str:
    """The method's colours: red at 3 or below, green above 7 (thresholds per organization)."""
    if confidence <= red_max:
        return "red"
    if confidence >= green_min:
        return "green"
    return "yellow"


NO_KR = "none"  # what people type (and a form's select holds) for work that serves no key result
_CYCLE_KRS = (
    select(KeyResult, Objective)
    .join(Objective, Objective.id == KeyResult.objective_id)
    .where(KeyResult.org_id == bindparam("org_id"), Objective.status != "closed",
           Objective.cycle_id == CURRENT_CYCLE_ID, KeyResult.live)
    .order_by(LEVEL_ORDER, Objective.position, Objective.id, KeyResult.position, KeyResult.id)
)
# Built once (they run on every check-in): parameters are cycle_params plus their own.
_MINE = _CYCLE_KRS.where(KeyResult.owner_person_id == bindparam("person_id"))
_CODE = (
    select(KeyResult, Objective)
    .join(Objective, Objective.id == KeyResult.objective_id)
    .where(KeyResult.org_id == bindparam("org_id"))
    .order_by(case((Objective.cycle_id == CURRENT_CYCLE_ID, 0), else_=1), Objective.status == "closed", LEVEL_ORDER,
              Objective.position, Objective.id, KeyResult.position, KeyResult.id)
    .limit(1)
)
_CODE_AS_TYPED = _CODE.where(KeyResult.key.in_(bindparam("codes", expanding=True)))
_CODE_ANY_CASE = _CODE.where(func.lower(KeyResult.key) == bindparam("code"))


def my_key_results(ctx: Ctx, person_id: int | None = None) -> list[tuple[KeyResult, Objective]]:
    """The person's key results in this cycle (or `person_id`'s), in the stable order `mine` numbers them."""
    person_id = ctx.person.id if person_id is None else person_id
    rows = ctx.session.execute(_MINE, {**cycle_params(ctx.org, ctx.now), "person_id": person_id}).all()
    return [(kr, obj) for kr, obj in rows]


def find_key_result(ctx: Ctx, ref: str, usage: str) -> tuple[KeyResult, Objective]:
    """A position in `mine`, else a short code (this cycle's first), else a title fragment (mine first).

    Each kind reads only what it needs: a position reads my key results, a code one row by the
    (org, key) index; only a reference that is neither searches titles.
    """
    ref = ref.strip()
    if ref.isascii() and ref.isdigit():
        mine = my_key_results(ctx)
        index = int(ref)
        if 1 <= index <= len(mine):
            return mine[index - 1]
        raise Refusal("kr_position", usage, given=ref, count=len(mine))
    coded = by_code(ctx, ref)
    if coded is not None:
        return coded
    needle = ref.lower()
    candidates = [(kr, obj) for kr, obj in my_key_results(ctx) if needle in kr.title.lower()]
    if not candidates:
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = ctx.session.execute(
            _CYCLE_KRS.where(func.lower(KeyResult.title).like(f"%{escaped}%", escape="\\")).limit(6),
            cycle_params(ctx.org, ctx.now),
        ).all()
        candidates = [(kr, obj) for kr, obj in rows]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise Refusal("kr_unknown", usage, given=ref[:60])
    raise Refusal(
        "kr_ambiguous", usage, given=ref[:60], options=", ".join(kr.key for kr, _ in candidates[:5])
    )


def by_code(ctx: Ctx, ref: str) -> tuple[KeyResult, Objective] | None:
    """The key result whose code is `ref` in any letter case, one in the current cycle first.

    The code as typed, lower- and upper-cased, are looked up through the (org, key) index; only when
    none of those is stored does a case-insensitive comparison read the organization's codes.
    """
    params = cycle_params(ctx.org, ctx.now)
    row = ctx.session.execute(_CODE_AS_TYPED, {**params, "codes": sorted({ref, ref.lower(), ref.upper()})}).first()
    if row is None:
        row = ctx.session.execute(_CODE_ANY_CASE, {**params, "code": ref.lower()}).first()
    return (row[0], row[1]) if row is not None else None


def served_key_result(ctx: Ctx, text: str) -> tuple[int | None, str]:
    """The key result a piece of work names first, and the rest of its text: `rd-o1-kr3 Ship the vendor API` is
    (rd-o1-kr3's id, "Ship the vendor API"), `none Tidy the wiki` is (None, "Tidy the wiki"); text whose first
    word is neither a key result's code nor "none" serves none and is kept whole."""
    first, _, rest = text.strip().partition(" ")
    rest = rest.strip()
    if not rest:
        return None, text
    if first.lower() == NO_KR:
        return None, rest
    found = by_code(ctx, first)
    return (found[0].id, rest) if found is not None else (None, text)


def refuse_removed(kr: KeyResult, usage: str) -> None:
    """A key result an honest change removed takes no check-in and no source: its code still finds it (so the
    person hears why, not "no such key result"), and the refusal says when, why, and where the live ones are."""
    if not kr.live:
        raise Refusal("kr_removed", usage, code=kr.key, day=i18n.day(kr.removed_at), reason=kr.removed_reason or "")


def may_check_in(ctx: Ctx, kr: KeyResult, objective: Objective) -> bool:
    """The owner, anyone in the owning team, the owner's manager, or while the owner is away the delegate they
    named (bot.away) may update a key result."""
    if kr.owner_person_id in (None, ctx.person.id):
        return True
    if objective.owner_team_id is not None and any(t.id == objective.owner_team_id for t in ctx.my_teams()):
        return True
    owner = ctx.session.get(Person, kr.owner_person_id)
    if owner is not None and owner.manager_id == ctx.person.id:
        return True
    return any(p.id == kr.owner_person_id for p in delegated_by(ctx.session, ctx.org, ctx.person.id, ctx.now))


def owner_name(ctx: Ctx, person_id: int | None) -> str:
    person = ctx.session.get(Person, person_id) if person_id else None
    return person.name if person else "nobody"


def team_name(ctx: Ctx, team_id: int | None) -> str:
    team = ctx.session.get(Team, team_id) if team_id else None
    return team.name if team else ""
