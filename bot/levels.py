"""Levels of objectives and teams, in one order: the top of the organization first.

Objectives are listed company, department, team, individual (the four-square, advice, the export,
key result listings and the API all read `Level.rank` or `Level.sql_rank`). Choosing a person's own
team reads the same order from the bottom (`Level.from_bottom`: a team before its department).
A level the enum does not know sorts after every known one, both ways.
"""

from __future__ import annotations

from enum import IntEnum

from sqlalchemy import ColumnElement, case


class Level(IntEnum):
    COMPANY = 0
    DEPARTMENT = 1
    TEAM = 2
    INDIVIDUAL = 3

    @property
    def label(self) -> str:
        """The level as stored and typed: "company", "department", ..."""
        return self.name.lower()

    @classmethod
    def rank(cls, level: str | None) -> int:
        """Top-down position of a stored level; an unknown one after all the others."""
        known = cls.__members__.get((level or "").upper())
        return int(known) if known is not None else len(cls)

    @classmethod
    def from_bottom(cls, level: str | None) -> int:
        """Bottom-up position of a team's level (team 0, department 1, company 2); an unknown one last."""
        rank = cls.rank(level)
        return int(cls.TEAM) - rank if rank <= cls.TEAM else len(cls)

    @classmethod
    def sql_rank(cls, column: ColumnElement[str]) -> ColumnElement[int]:
        """`rank` in SQL, for ORDER BY."""
        return case({member.label: int(member) for member in cls}, value=column, else_=len(cls))
