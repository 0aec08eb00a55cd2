"""The protected-status ground (issue 17, the safeguard's readability): a person found in a
register of persons gives one finding per match, but the other requests that record the
person's status (the requests index) give one finding per person, listing them."""

from __future__ import annotations

from judicare.persons.registers import REQUESTS
from judicare.screening.domain import PersonFacts, RequestFacts
from judicare.screening.safeguards import REQUESTS_INDEX, protected_status, reference_of


def _match(register: str, entry: str, *, feared: str | None = None, decision: str | None = None,
           status: str = "refugee") -> dict:  # fmt: skip
    return {"register": register, "id": entry, "score": 0.91, "status": status,
            "country_of_feared_persecution": feared, "explanation": {},
            "adjudication": {"decision": decision} if decision else None}  # fmt: skip


def _facts(*matches: dict, kind: str = "mla", role: str = "witness") -> RequestFacts:
    person = PersonFacts(role=role, names=("Zhanar Testbayeva",), matches=matches)
    return RequestFacts(requesting="KAZ", requested="BEL", kind=kind, crimes=("fraud",),
                        measures=(), persons=(person,), instruments=frozenset())  # fmt: skip


def test_the_requests_index_is_the_persons_engines_own():
    assert REQUESTS_INDEX == REQUESTS
    assert reference_of("BEL-CA-2026-00017#42") == "BEL-CA-2026-00017"


def test_the_other_requests_are_one_finding_and_the_refugee_register_its_own():
    facts = _facts(
        _match("refugees", "R-1", feared="KAZ"),
        _match(REQUESTS, "BEL-CA-2026-00003#7"),
        _match(REQUESTS, "BEL-CA-2026-00009#19"),
        _match(REQUESTS, "BEL-CA-2026-00012#25"),
    )
    findings = protected_status(facts)
    assert len(findings) == 2
    register, folded = findings
    assert register.evidence["match"]["register"] == "refugees"
    assert register.severity == "high"  # she fears persecution by the requesting state
    assert folded.severity == "medium"
    assert [r["reference"] for r in folded.evidence["recorded_in"]] == [
        "BEL-CA-2026-00003", "BEL-CA-2026-00009", "BEL-CA-2026-00012"
    ]  # fmt: skip
    assert folded.evidence["status"] == "refugee"
    assert folded.explanation.startswith(
        "Zhanar Testbayeva is recorded as refugee in 3 other requests of the register "
        "(BEL-CA-2026-00003, BEL-CA-2026-00009, BEL-CA-2026-00012)."
    )


def test_the_folded_finding_is_as_grave_as_its_gravest_match():
    facts = _facts(
        _match(REQUESTS, "A#1", decision="rejected"),
        _match(REQUESTS, "B#2", feared="KAZ"),
        kind="extradition",
        role="person_sought",
    )
    (folded,) = protected_status(facts)
    assert (folded.severity, folded.category) == ("high", "mandatory_refusal")
    assert "1 other request" not in folded.explanation
    assert "a person has rejected 1 of these matches" in folded.explanation
    assert folded.evidence["questions_for_a_person"]  # a refugee sought: arts 1F and 33(2)
    # like every protected-status finding, it names a match (the API's readers look for it):
    # the one that set its severity
    assert folded.evidence["match"]["id"] == "B#2"


def test_matches_all_rejected_leave_a_low_finding_and_one_request_reads_singular():
    (folded,) = protected_status(_facts(_match(REQUESTS, "A#1", decision="rejected")))
    assert folded.severity == "low"
    assert "in 1 other request of the register (A)" in folded.explanation
    mixed = protected_status(
        _facts(_match(REQUESTS, "A#1"), _match(REQUESTS, "B#2", status="asylum_seeker"))
    )
    assert mixed[0].evidence["status"] is None
    assert "recorded as asylum_seeker or refugee in 2 other requests" in mixed[0].explanation
