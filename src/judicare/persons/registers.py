"""Who owns which register of persons, and so who may change it and whose screening reads it.

| register          | owner                        | changed by              | screening of     |
|-------------------|------------------------------|-------------------------|------------------|
| `requests`        | each entry: the authority    | Judicare, as a request  | that authority   |
| (internal index)  | whose request names him/her  | is registered; never    | only             |
|                   |                              | imported, by anyone     |                  |
| any other         | the node (a national         | the node administrator  | every authority  |
| (`refugees`, ...) | register kept for all its    | (register:import), web  | of the node      |
|                   | authorities)                 | or operator CLI         |                  |

An authority never learns from screening that another authority holds a request, nor
anything in it: an entry owned by an authority is read for that authority alone, at the
query (`visible_to`), so that counts, order and "more" cannot betray it either. An entry of
an authority-owned register whose owner is unknown is read by nobody (fail closed).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import and_, case, literal, or_, true
from sqlalchemy.sql.elements import ColumnElement

from judicare.auth.permissions import Forbidden, Permission, Principal, authorize
from judicare.persons.models import PersonEntryRow


class Owner(enum.StrEnum):
    NODE = "node"  # one register for the whole node, kept by the node administrator
    AUTHORITY = "authority"  # each entry belongs to one authority


@dataclass(frozen=True, slots=True)
class RegisterPolicy:
    name: str
    owner: Owner
    importable: bool
    why: str
    # the operating point its persons are screened at (judicare.persons.scoring): "safeguard"
    # (protected persons: recall first) or "identification" (precision first)
    point: str = "identification"


# Registers of protected persons (refugees, persons granted protection): screened at the
# safeguard point. An entry with a protected status in any register is screened so too.
PROTECTED_REGISTERS = frozenset(
    {"refugees", "refugee", "protection", "protected", "asylum", "subsidiary-protection"}
)


REQUESTS = "requests"
_INTERNAL = {
    REQUESTS: RegisterPolicy(
        REQUESTS,
        Owner.AUTHORITY,
        importable=False,
        why="the persons named in registered requests, indexed by Judicare itself as each "
        "request is registered; each entry is its authority's",
        point="identification",
    ),
}
AUTHORITY_OWNED = frozenset(n for n, p in _INTERNAL.items() if p.owner is Owner.AUTHORITY)


def policy_of(register: str) -> RegisterPolicy:
    """The internal registers by name; any other register is a national register of the
    node (refugees, persons prosecuted...)."""
    protected = register.strip().lower() in PROTECTED_REGISTERS
    return _INTERNAL.get(register) or RegisterPolicy(
        register,
        Owner.NODE,
        importable=True,
        why="a national register of the node"
        + (" (protected persons: screened at the safeguard point)" if protected else ""),
        point="safeguard" if protected else "identification",
    )


def authorize_import(principal: Principal, register: str) -> None:
    """Raise unless `principal` may import (add to or overwrite) `register`."""
    authorize(principal, Permission.REGISTER_IMPORT)
    policy = policy_of(register.strip())
    if not policy.importable:
        raise Forbidden(
            f"the register {policy.name!r} cannot be imported: it holds {policy.why}. "
            "Import a national register under another name, e.g. refugees"
        )


# The operator at the command line, who holds the database itself: reads every register,
# the whole index of requests included (as `judicare audit verify` reads the whole trail).
# No user of an authority ever searches with it.
EVERY_AUTHORITY = "*"


def visible_to(authority_id: str | None) -> ColumnElement[bool]:
    """The entries whose persons the screening of `authority_id` may read: the node's
    registers, and the entries its own authority owns. None (a search for no authority)
    reads the node's registers only; EVERY_AUTHORITY (the operator) reads every entry."""
    if authority_id == EVERY_AUTHORITY:
        return true()
    node_wide = and_(
        PersonEntryRow.authority_id.is_(None),
        PersonEntryRow.register.not_in(sorted(AUTHORITY_OWNED)),
    )
    if authority_id is None:
        return node_wide
    return or_(node_wide, PersonEntryRow.authority_id == authority_id)


# The scopes of `visible_to`, by which the key and trigram frequencies are counted
# (judicare.persons.models `PersonKeyCountRow`): the node's registers, each authority's
# entries (by its id), and the entries of an authority-owned register with no owner.
NODE_SCOPE = ""
UNOWNED_SCOPE = "-"


def scope_of(register: str, authority_id: str | None) -> str:
    """The scope of an entry: whose screening reads it (see `visible_to`)."""
    if authority_id is not None:
        return authority_id
    return UNOWNED_SCOPE if register in AUTHORITY_OWNED else NODE_SCOPE


def scope_column() -> ColumnElement[str]:
    """`scope_of` as SQL over `PersonEntryRow`."""
    return case(
        (PersonEntryRow.authority_id.is_not(None), PersonEntryRow.authority_id),
        (PersonEntryRow.register.in_(sorted(AUTHORITY_OWNED)), literal(UNOWNED_SCOPE)),
        else_=literal(NODE_SCOPE),
    )


def scopes_visible_to(authority_id: str | None) -> tuple[str, ...] | None:
    """The scopes whose entries `visible_to(authority_id)` reads; None: every scope."""
    if authority_id == EVERY_AUTHORITY:
        return None
    if authority_id is None:
        return (NODE_SCOPE,)
    return (NODE_SCOPE, authority_id)
