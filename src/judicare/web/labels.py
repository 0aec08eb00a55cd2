"""Words for the stable codes of the register, to be translated (`N_` marks them for
`pybabel extract`; templates translate them with `_()`)."""

from __future__ import annotations

from judicare.web.victim_labels import LABELS as VICTIM_LABELS


def N_(message: str) -> str:
    return message


STATUS = {
    "received": N_("Received"),
    "registered": N_("Registered"),
    "under_review": N_("Under review"),
    "needs_information": N_("Needs information"),
    "accepted": N_("Accepted"),
    "in_execution": N_("In execution"),
    "executed": N_("Executed"),
    "partially_executed": N_("Partially executed"),
    "closed": N_("Closed"),
    "refused": N_("Refused"),
    "postponed": N_("Postponed"),
    "withdrawn": N_("Withdrawn"),
}
DIRECTION = {"incoming": N_("Incoming"), "outgoing": N_("Outgoing")}
KIND = {
    "mla": N_("Mutual legal assistance"),
    "extradition": N_("Extradition"),
    "provisional_arrest": N_("Provisional arrest"),
    "transfer_of_proceedings": N_("Transfer of proceedings"),
    "transfer_of_sentenced_person": N_("Transfer of a sentenced person"),
    "jit": N_("Joint investigation team"),
}
MEASURE = {
    "hearing_witness": N_("Hearing of a witness"),
    "hearing_suspect": N_("Hearing of a suspect"),
    "hearing_expert": N_("Hearing of an expert"),
    "videoconference_hearing": N_("Hearing by videoconference"),
    "service_of_documents": N_("Service of documents"),
    "search_and_seizure": N_("Search and seizure"),
    "production_of_records": N_("Production of records"),
    "identification_of_persons": N_("Identification or tracing of persons"),
    "tracing_of_assets": N_("Identification or tracing of assets"),
    "freezing": N_("Freezing"),
    "seizure_of_assets": N_("Seizure of assets"),
    "confiscation": N_("Confiscation"),
    "temporary_transfer_of_detained_person": N_("Temporary transfer of a detained person"),
    "exhumation_and_forensic_examination": N_("Exhumation and forensic examination"),
    "spontaneous_information": N_("Spontaneous information"),
    "joint_investigation_team": N_("Joint investigation team"),
}
ROLE = {
    "suspect": N_("Suspect"),
    "accused": N_("Accused"),
    "person_sought": N_("Person sought"),
    "witness": N_("Witness"),
    "victim": N_("Victim"),
    "expert": N_("Expert"),
}
URGENCY = {"normal": N_("Normal"), "urgent": N_("Urgent"), "very_urgent": N_("Very urgent")}
CONFIDENTIALITY = {
    "normal": N_("Normal"),
    "confidential": N_("Confidential"),
    "secret": N_("Secret"),
}
OUTCOME = {
    "grant": N_("Grant"),
    "grant_with_conditions": N_("Grant with conditions"),
    "postpone": N_("Postpone"),
    "request_more_information": N_("Ask for more information"),
    "refuse": N_("Refuse"),
}
DECISION_STATUS = {
    "pending_approval": N_("Awaiting a supervisor's approval"),
    "effective": N_("Effective"),
    "rejected": N_("Rejected by the supervisor"),
}
DRAFT_STATUS = {
    "awaiting_review": N_("Awaiting a reviewer"),
    "proposed": N_("Proposed as the decision"),
    "returned": N_("Sent back to its author"),
}
SEVERITY = {"high": N_("High"), "medium": N_("Medium"), "low": N_("Low"), "info": N_("Info")}
USER_ROLE = {
    "officer": N_("Officer"),
    "legal_reviewer": N_("Legal reviewer"),
    "supervisor": N_("Supervisor"),
    "auditor": N_("Auditor"),
    "depositary_officer": N_("Depositary officer"),
    "admin": N_("Administrator"),
    "node_admin": N_("Node administrator"),
    "node_auditor": N_("Node auditor"),
}
COMPLETENESS_ITEM = {
    "requesting_authority": N_("The authority making the request"),
    "subject_and_nature": N_("The subject and nature of the proceedings"),
    "facts_summary": N_("A summary of the relevant facts (at least 20 characters)"),
    "legal_qualification": N_("The legal qualification of the offences and the penalties"),
    "measures": N_("A description of the assistance sought"),
    "persons_identification": N_("The identity and nationality of each person concerned"),
    "purpose": N_("The purpose of the evidence or information sought"),
    "time_limits": N_("The time limits for execution"),
    "procedure_wished": N_("Any particular procedure wished"),
    "person_to_serve": N_("The name and address of the person to be served"),
    "warrant_or_judgment": N_("The arrest warrant or enforceable judgment (a document)"),
    "offence_time_place": N_("When and where the offences were committed"),
    "legal_provisions_cited": N_("A reference to the relevant legal provisions"),
    "enactments": N_("The text of the relevant enactments, or a statement of the law"),
    "person_description": N_("A description of the person sought"),
    "urgency_stated": N_("Why the matter is urgent"),
    "warrant_exists": N_("The statement that an arrest warrant or enforceable judgment exists"),
    "extradition_will_follow": N_("The statement that a request for extradition will follow"),
    "issuing_authority_contact": N_(
        "The address, telephone number and e-mail address of the issuing judicial authority"
    ),
    "participation": N_("The degree of participation of the person sought"),
    "penalty": N_("The penalty imposed, or the scale of penalties for the offence"),
}
# The crimes of the rule data (`legal_basis` rulebook), by code: their names in the user's
# language (the data's English titles are the msgids).
CRIME = {
    "genocide": N_("Genocide"),
    "crimes_against_humanity": N_("Crimes against humanity"),
    "war_crimes": N_("War crimes (international armed conflict)"),
    "war_crimes_niac": N_("War crimes (non-international armed conflict)"),
    "aggression": N_("Crime of aggression"),
    "starvation_niac": N_(
        "Starvation of civilians as a method of warfare in non-international armed conflict"
    ),
    "war_crimes_amendments": N_("War crimes added by later Rome Statute amendments (weapons)"),
    "torture": N_("Torture"),
    "enforced_disappearance": N_("Enforced disappearance"),
}
# Depositaries as the instrument data names them.
DEPOSITARY = {
    "Secretary-General of the United Nations": N_("Secretary-General of the United Nations"),
    "Secretary General of the Council of Europe": N_("Secretary General of the Council of Europe"),
    "Swiss Federal Council": N_("Swiss Federal Council"),
    "OAS General Secretariat": N_("General Secretariat of the Organization of American States"),
}
# The screening's next steps, as `screening/grounds.yaml` and the safeguards word them: the
# msgid is that English text (a finding carries the text; the page translates it).
NEXT_STEPS = (
    N_("Decide whether the offence is political; consult the requesting state if it is unclear."),
    N_("Check the offences against the requested state's ordinary criminal law."),
    N_("Check limitation under the applicable law for each offence."),
    N_(
        "Check whether the judgment was rendered in absentia; "
        "if so, ask for an assurance of retrial."
    ),
    N_("Check whether an amnesty of the requested state covers the offence."),
    N_("Examine the warrant against the Framework Decision's grounds."),
    N_("Check that the request came through the channel that binds the two states."),
    N_("Examine the purpose of the request; ask the requesting state for information if needed."),
    N_("Ask for assurances before any decision."),
    N_("Assess the risk in the requesting state; ask for assurances or refuse."),
    N_("Establish the requesting state's law on the death penalty."),
    N_(
        "Confirm or reject the match; if confirmed, consult the asylum authority and examine "
        "the request with the utmost caution."
    ),
    N_("Check the status with the asylum authority."),
    N_("Compare the acts of the earlier judgment with those of the request."),
    N_("Check for immunities and essential interests."),
    N_("Check that the acts are punishable in the requested state."),
    N_("Decide on extradition; if refused on nationality, submit the case for prosecution."),
    N_("Record that the exception applies."),
)
# What a finding's category means, as a whole sentence around the ground's name.
FINDING_GIST = {
    "mandatory_refusal": N_(
        "%(ground)s: where this ground is made out, the instruments cited below require a refusal."
    ),
    "assurance_required": N_(
        "%(ground)s: the instruments cited below make the cooperation depend on an assurance."
    ),
    "optional_refusal": N_(
        "%(ground)s: the instruments cited below allow a refusal on this ground; it is for a "
        "person to decide."
    ),
    "attention": N_(
        "%(ground)s: a point for a person to examine, with the instruments cited below."
    ),
}
WARRANT_KIND = {
    "arrest_warrant": N_("Arrest warrant or order having the same effect"),
    "enforceable_judgment": N_("Enforceable conviction and sentence, or detention order"),
}
PARTY_STATUS = {
    "party": N_("Party"),
    "ratified_pending": N_("Ratified, not yet in force"),
    "signatory": N_("Signatory"),
    "withdrawn": N_("Withdrawn"),
    "unknown": N_("Unknown"),
    "not_party": N_("Not a party"),
}

# The grounds of grounds.yaml, by code (their titles there, to be translated).
GROUND = {
    "political_offence": N_("Political offence"),
    "persecution": N_("Discriminatory purpose or persecution"),
    "protected_status": N_("Protected status (refugee or other protected person)"),
    "death_penalty": N_("Death penalty"),
    "torture": N_("Risk of torture or ill-treatment"),
    "ne_bis_in_idem": N_("Ne bis in idem (final judgment)"),
    "nationality": N_("Nationality of the person sought"),
    "statute_of_limitations": N_("Statute of limitations"),
    "immunity_and_essential_interests": N_("Immunity and essential interests"),
    "dual_criminality": N_("Dual criminality"),
    "military_offence": N_("Military offence"),
    "in_absentia": N_("Judgment in absentia"),
    "amnesty": N_("Amnesty in the requested state"),
    "eaw_grounds": N_("European arrest warrant grounds for non-execution"),
    "channel": N_("Channel of the extradition request"),
}
CATEGORY = {
    "mandatory_refusal": N_("mandatory refusal"),
    "optional_refusal": N_("optional refusal"),
    "attention": N_("attention"),
}
# Deadlines: the date of execution asked for, and the time limits of the instruments' data.
DEADLINE = {
    "requested_execution": N_("Execution date asked for"),
    "provisional_arrest_release_possible": N_(
        "Provisional arrest may end if the request has not arrived"
    ),
    "provisional_arrest_release_required": N_("Provisional arrest must end at the latest"),
}
IN_FORCE = {
    "in_force": N_("in force"),
    "not_in_force": N_("not in force"),
    "unknown": N_("not known"),
}
# How far the participation data lists every participant (treaties.domain.Completeness).
PARTICIPATION_DATA = {
    "complete": N_("complete: a state not listed is not a participant"),
    "partial": N_("partial: a state not listed may be a participant"),
    "unknown": N_("none recorded"),
}
# The act by which a state consented to be bound (treaties.domain.CONSENT_ACTIONS).
CONSENT_ACTION = {
    "ratification": N_("Ratification"),
    "acceptance": N_("Acceptance"),
    "approval": N_("Approval"),
    "accession": N_("Accession"),
    "succession": N_("Succession"),
    "membership": N_("Membership of the European Union"),
    "deposit": N_("Deposit"),
}
# A state's action in respect of a treaty (treaties.domain.ActionKind), for the public portal.
TREATY_ACTION = {
    "full_powers": N_("Full powers"),
    "signature": N_("Signature"),
    "ratification": N_("Ratification"),
    "acceptance": N_("Acceptance"),
    "approval": N_("Approval"),
    "accession": N_("Accession"),
    "succession": N_("Succession"),
    "reservation": N_("Reservation"),
    "declaration": N_("Declaration"),
    "objection": N_("Objection"),
    "withdrawal": N_("Withdrawal"),
    "central_authority_designation": N_("Designation of a central authority"),
    "annex_acceptance": N_("Acceptance of an annex"),
    "membership": N_("Membership of the European Union"),
    "deposit": N_("Deposit"),
    "entry_into_force": N_("Entry into force"),
}
# The signatory's capacity (VCLT art. 7(2)(a)) and the desk's outcome (treaties.desk).
SIGNATORY_CAPACITY = {
    "head_of_state": N_("Head of state"),
    "head_of_government": N_("Head of government"),
    "minister_for_foreign_affairs": N_("Minister for foreign affairs"),
    "other": N_("Other (needs full powers)"),
}
DEPOSIT_STATUS = {
    "accepted": N_("Accepted"),
    "pending": N_("Pending"),
    "refused": N_("Refused"),
}
# What the check of the audit chain found wrong with an entry (audit.chain).
CHAIN_PROBLEM = {
    "altered": N_("altered"),
    "missing": N_("missing"),
    "out_of_order": N_("out of order"),
    "broken_link": N_("broken link"),
}
# How two birth dates compare (persons.domain.PartialDate.compare).
DATE_RELATION = {
    "exact": N_("the same date"),
    "compatible": N_("compatible"),
    "near": N_("close"),
    "swapped": N_("day and month swapped"),
    "conflict": N_("different"),
}
FOLLOW_UP_STATUS = {"open": N_("open"), "done": N_("done")}
MESSAGE_TYPE = {
    "request": N_("Request"),
    "supplementary_request": N_("Supplementary request"),
    "answer": N_("Answer"),
    "request_for_information": N_("Request for further information"),
    "status_notice": N_("Status notice"),
}
DELIVERY = {
    "pending": N_("waiting to be delivered"),
    "delivered": N_("delivered, receipt kept"),
    "dead": N_("not delivered (dead letter)"),
    "received": N_("received"),
}
FORMAL_DOCUMENT = {
    "letter_of_request": N_("Letter of request"),
    "extradition_request": N_("Extradition request"),
    "provisional_arrest_request": N_("Request for provisional arrest"),
    "request_for_information": N_("Request for further information"),
    "acknowledgement": N_("Acknowledgement of receipt"),
    "decision_notice": N_("Decision notice"),
    "execution_report": N_("Execution report"),
    "prosecution_outcome_notice": N_("Notice of the result of the submission for prosecution"),
}

# A person's protected status as the registers and the intake's usual words give it; any
# other status is shown as the officer typed it.
PROTECTED_STATUS = {
    "refugee": N_("Refugee"),
    "subsidiary_protection": N_("Beneficiary of subsidiary protection"),
    "asylum_seeker": N_("Asylum seeker"),
    "protected": N_("Protected person"),
}

# The registers of persons a screening reads, by the name they are kept under
# (judicare.persons.registers): the index of the authority's own requests, and the usual
# names of the national registers of protected persons (`PROTECTED_REGISTERS`). A register
# imported under any other name is shown by that name, as the node administrator gave it.
REGISTER = {
    "requests": N_("Requests of this authority"),
    "refugees": N_("Register of refugees"),
    "refugee": N_("Register of refugees"),
    "protection": N_("Register of protected persons"),
    "protected": N_("Register of protected persons"),
    "asylum": N_("Register of asylum"),
    "subsidiary-protection": N_("Register of subsidiary protection"),
}

# How two parts of names were found alike (judicare.persons.compare `PartMatch.how`), in
# the words the explanation keeps; "(written as one word)", which scoring adds to a pair of
# one part against several run together, is translated apart (templates/screening.html).
MATCH_HOW = {
    "a legal form and a name": N_("a legal form and a name"),
    "same script, character by character": N_("same script, character by character"),
    "listed nickname": N_("listed nickname"),
    "different": N_("not alike"),
    "same form": N_("same form"),
    "edit similarity": N_("edit similarity"),
    "same but for doubled letters or a Baltic ending": N_(
        "same but for doubled letters or a Baltic ending"
    ),
    "phonetic key": N_("phonetic key"),
    "phonetic key similarity": N_("phonetic key similarity"),
    "same name element, different stem": N_("same name element, different stem"),
    "same initial": N_("same initial"),
    "initial": N_("initial"),
    "different initial": N_("different initial"),
}

ALL = {
    "status": STATUS,
    "protected_status": PROTECTED_STATUS,
    "register": REGISTER,
    "match_how": MATCH_HOW,
    "direction": DIRECTION,
    "kind": KIND,
    "measure": MEASURE,
    "role": ROLE,
    "urgency": URGENCY,
    "confidentiality": CONFIDENTIALITY,
    "outcome": OUTCOME,
    "decision_status": DECISION_STATUS,
    "draft_status": DRAFT_STATUS,
    "severity": SEVERITY,
    "user_role": USER_ROLE,
    "completeness": COMPLETENESS_ITEM,
    "warrant_kind": WARRANT_KIND,
    "crime": CRIME,
    "depositary": DEPOSITARY,
    "finding_gist": FINDING_GIST,
    "next_steps": {text: text for text in NEXT_STEPS},
    "party_status": PARTY_STATUS,
    "ground": GROUND,
    "category": CATEGORY,
    "deadline": DEADLINE,
    "in_force": IN_FORCE,
    "participation_data": PARTICIPATION_DATA,
    "consent_action": CONSENT_ACTION,
    "treaty_action": TREATY_ACTION,
    "signatory_capacity": SIGNATORY_CAPACITY,
    "deposit_status": DEPOSIT_STATUS,
    "chain_problem": CHAIN_PROBLEM,
    "date_relation": DATE_RELATION,
    "follow_up_status": FOLLOW_UP_STATUS,
    "message_type": MESSAGE_TYPE,
    "delivery": DELIVERY,
    "formal_document": FORMAL_DOCUMENT,
    **VICTIM_LABELS,  # issue 20
}


def label(group: str, code: str | None) -> str:
    """The English words for a code (the template translates them), or the code itself."""
    if code is None:
        return ""
    return ALL[group].get(code, code.replace("_", " "))
