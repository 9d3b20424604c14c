"""Which published columns an attacker can line up with a person: read from the Table Schemas.

A field of a record table's schema that an attacker could know about a person, or about the
complaint they belong to, carries ``"lantern:quasiIdentifier"`` (its kind: ``person``,
``place``, ``time`` or ``category``) and ``"lantern:generalization"`` (the policy hierarchy that
makes it coarser; the column's own name when absent: the officers' columns are only ever
withheld, never generalized). Because the list comes from the schemas, a new published column
of one of those kinds joins the quasi-identifiers by itself, and ``publisher.policy`` refuses a
policy that leaves one out.

Two joins are measured:

- **complainants**: each complainants row joined with its complaint (``complaint_id``): the
  complainant's own ``person`` columns plus every ``place``, ``time`` and ``category`` column of
  the complaints table;
- **officers**: each allegations row joined with its officer (``officer_id``) and its complaint:
  the officer's ``person`` columns plus the same complaint columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: Kinds of quasi-identifier a schema field may declare.
KINDS: tuple[str, ...] = ("person", "place", "time", "category")
#: The kinds of a complaint's columns that travel with every row joined to it.
JOINED_KINDS: frozenset[str] = frozenset({"place", "time", "category"})
QI_KEY = "lantern:quasiIdentifier"
HIERARCHY_KEY = "lantern:generalization"


@dataclass(frozen=True, order=True)
class QuasiIdentifier:
    """One published column that takes part in a k-anonymity measure.

    ``table`` and ``column`` name the published CSV column; ``kind`` is what sort of knowledge
    it is; ``attribute`` is the policy hierarchy that generalizes it (two columns may share one,
    as ``received_period`` and ``closed_period`` share ``period``).
    """

    table: str
    column: str
    kind: str
    attribute: str

    @property
    def name(self) -> str:
        """``table.column``, the form the policy and the disclosure report use."""
        return f"{self.table}.{self.column}"


@cache
def _fields(table: str) -> tuple[tuple[str, str, str], ...]:
    """(column, kind, attribute) of every quasi-identifier field of ``table``'s schema."""
    text = resources.files("publisher").joinpath("schemas", f"{table}.json").read_text("utf-8")
    out = []
    for field in json.loads(text)["fields"]:
        kind = field.get(QI_KEY)
        if kind is None:
            continue
        if kind not in KINDS:
            raise ValueError(f"schema {table}.{field['name']}: unknown {QI_KEY} {kind!r}")
        out.append((field["name"], kind, str(field.get(HIERARCHY_KEY, field["name"]))))
    return tuple(out)


def table_quasi_identifiers(table: str) -> tuple[QuasiIdentifier, ...]:
    """Every quasi-identifier column of ``table``, in schema order."""
    return tuple(QuasiIdentifier(table, c, k, a) for c, k, a in _fields(table))


def complaint_columns() -> tuple[QuasiIdentifier, ...]:
    """The complaint's place, time and category columns (joined to complainants and officers)."""
    return tuple(q for q in table_quasi_identifiers("complaints") if q.kind in JOINED_KINDS)


def complainant_join() -> tuple[QuasiIdentifier, ...]:
    """What an attacker can line up with a complainant: their own columns and the complaint's."""
    own = tuple(q for q in table_quasi_identifiers("complainants") if q.kind == "person")
    return own + complaint_columns()


def officer_join() -> tuple[QuasiIdentifier, ...]:
    """What an attacker can line up with an officer through an allegation: the officer's own
    columns and the complaint's."""
    own = tuple(q for q in table_quasi_identifiers("officers") if q.kind == "person")
    return own + complaint_columns()


def by_name() -> dict[str, QuasiIdentifier]:
    """Every known quasi-identifier column by ``table.column``."""
    return {
        q.name: q
        for table in ("complainants", "complaints", "officers")
        for q in table_quasi_identifiers(table)
    }
