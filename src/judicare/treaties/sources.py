"""`judicare treaty sources`: where every fact about an instrument came from."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from judicare.treaties import repository as repo
from judicare.treaties.catalogue import get_instrument, participation_dir
from judicare.treaties.domain import Origin, Sourced
from judicare.treaties.participation import Participation, build_participation
from judicare.treaties.reference import load_cross_check


def sources_report(session: Session, instrument_id: str) -> dict:
    instrument = get_instrument(instrument_id)
    actions = repo.actions_for(session, instrument.id)
    participation = build_participation(instrument, actions)
    stored = repo.datasets(session)
    register = [a for a in actions if a.origin is Origin.REGISTER]
    rule, withdrawal = instrument.entry_into_force, instrument.withdrawal
    return {
        "instrument": instrument.id,
        "title": instrument.title,
        "facts": [
            _fact("adopted", instrument.adopted),
            _fact("opened_for_signature", instrument.opened_for_signature),
            _fact("depositary", instrument.depositary),
            _fact("entry_into_force (as a source states it)", instrument.known_entry_into_force),
        ],
        "kinds": [dict(k) for k in instrument.kinds],
        "entry_into_force_rule": {
            "article": rule.article,
            "verified": rule.verified,
            "summary": rule.summary,
            "instruments_required": rule.instruments_required,
            "source_url": rule.source_url,
        },
        "withdrawal_rule": {
            "article": withdrawal.article,
            "verified": withdrawal.verified,
            "summary": withdrawal.summary,
            "delay": withdrawal.delay.describe() if withdrawal.delay else None,
            "source_url": withdrawal.source_url,
        },
        "computed_entry_into_force": {
            "date": _iso(participation.entry.date),
            "explanation": participation.entry.explanation,
            "used": _iso(participation.entry_into_force),
            "basis": participation.entry_into_force_basis,
        },
        "participation": {
            "completeness": instrument.completeness.value,
            "as_of": instrument.participation_as_of,
            "note": instrument.participation_note,
            "unlisted_states": participation.unlisted_states,
            "files": [_dataset(name, stored) for name in instrument.participation_files],
            "row_sources": _row_sources(actions),
        },
        "state_overrides": [
            {
                "state": o.state,
                "bound": o.bound,
                "in_force_from": _iso(o.in_force_from),
                "source_url": o.source_url,
                "note": o.note,
            }
            for o in instrument.state_overrides
        ],
        "row_interpretations": [
            {k: _iso(v) if isinstance(v, date) else v for k, v in i.items()}
            for i in instrument.row_interpretations
        ],
        "register": {"actions": len(register)},
        "disagreements": list(participation.disagreements) + cross_check(instrument, participation),
        "gaps": list(instrument.gaps),
        "sources": [dict(s) for s in instrument.sources],
    }


def cross_check(instrument, participation: Participation) -> list[str]:
    """Disagreements between the engine and a second source's per-state dates."""
    findings: list[str] = []
    for row in load_cross_check(instrument):
        record = participation.states.get(row.state)
        where = f"{row.dataset} row {row.row_number}"
        if record is None:
            findings.append(
                f"{row.state}: listed by {where} but absent from the participation data"
            )
            continue
        if (
            row.instrument_date
            and record.consent_date
            and row.instrument_date != record.consent_date
        ):
            findings.append(
                f"{row.state}: {where} gives the instrument date {row.instrument_date}, "
                f"the participation data {record.consent_date}"
            )
        if row.entry_into_force and row.entry_into_force != record.in_force_from:
            findings.append(
                f"{row.state}: {where} gives entry into force {row.entry_into_force}, "
                f"the engine {record.in_force_from or 'cannot compute it'} ({record.explanation})"
            )
    return findings


def _fact(name: str, sourced: Sourced) -> dict:
    return {
        "fact": name,
        "value": _iso(sourced.value) if isinstance(sourced.value, date) else sourced.value,
        "source_url": sourced.source_url,
        "citation": sourced.citation,
        "note": sourced.note,
        "disagreements": [dict(d) for d in sourced.disagreements],
    }


def _dataset(name: str, stored: dict) -> dict:
    folder = (participation_dir() / name).parent
    row = stored.get(name)
    return {
        "file": name,
        "readme": str((folder / "README.md").relative_to(participation_dir())),
        "sha256": row.sha256 if row else None,
        "rows": row.rows if row else None,
        "loaded_at": row.loaded_at.isoformat() if row else None,
    }


def _row_sources(actions) -> list[dict]:
    counts: dict[str, int] = {}
    for action in actions:
        if action.source_url:
            counts[action.source_url] = counts.get(action.source_url, 0) + 1
    return [
        {"source_url": url, "rows": n} for url, n in sorted(counts.items(), key=lambda x: -x[1])
    ]


def _iso(value):
    return value.isoformat() if isinstance(value, date) else value
