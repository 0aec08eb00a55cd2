"""Words for the codes of issue 20 (victims and witnesses, competing requests, obligations to
prosecute), to be translated (`N_` marks them for `pybabel extract`)."""

from __future__ import annotations


def N_(message: str) -> str:
    return message


PROTECTION_MEASURE = {
    "anonymity": N_("Anonymity"),
    "hearing_protection": N_("Protective measures at a hearing"),
    "video_hearing": N_("Hearing by video conference"),
    "relocation_referral": N_("Referral for relocation"),
    "temporary_transfer": N_("Temporary transfer of a detained person"),
}
MEASURE_STATUS = {"requested": N_("Requested"), "granted": N_("Granted"), "refused": N_("Refused")}
CHANNEL = {
    "email": N_("Email"),
    "phone": N_("Phone"),
    "post": N_("Post"),
    "in_person": N_("In person"),
    "through_lawyer": N_("Through a lawyer"),
}
VICTIM_STEP = {
    "request_received": N_("A request was received"),
    "request_sent": N_("A request was sent"),
    "request_executed": N_("The request was executed"),
    "request_refused": N_("The request was refused"),
    "proceedings_opened": N_("Proceedings were opened"),
    "answer_to_question": N_("Answer to the victim's question"),
}
OBLIGATION_STATUS = {
    "open": N_("Open"),
    "submitted_to_prosecutors": N_("Submitted to prosecutors"),
    "investigation_opened": N_("Investigation opened"),
    "decision_taken": N_("Decision taken"),
    "closed": N_("Closed"),
}
OBLIGATION_OUTCOME = {
    "prosecuted": N_("Prosecuted"),
    "convicted": N_("Convicted"),
    "acquitted": N_("Acquitted"),
    "not_prosecuted": N_("Not prosecuted"),
    "discontinued": N_("Discontinued"),
    "transferred": N_("Transferred"),
}
INFORM_STATUS = {
    "none": N_("The information of the requesting state is not drafted yet."),
    "pending_approval": N_("The information awaits a second person's approval."),
    "rejected": N_("The information was sent back: draft it again."),
    "approved": N_("Approved: the notice is ready to download."),
    "notice_produced": N_("The notice was produced: mark it sent once sent."),
    "sent": N_("Sent."),
}
INFORM_CHANNEL = {
    "exchange": N_("over the node exchange"),
    "notice": N_("by formal notice"),
}
TRIGGER = {
    "ece_nationality": N_("Extradition of a national refused"),
    "cat_torture": N_("Torture: extradition refused"),
    "ced_disappearance": N_("Enforced disappearance: extradition refused"),
    "geneva_grave_breaches": N_("Grave breaches of the Geneva Conventions"),
}
CRITERION = {
    "relative_seriousness": N_("Relative seriousness of the offences"),
    "place_of_commission": N_("Place of commission"),
    "dates_of_requests": N_("Dates of the requests"),
    "nationality_of_person": N_("Nationality of the person claimed"),
    "subsequent_extradition": N_("Possibility of subsequent extradition"),
    "interests_of_requesting_state": N_("Interests of the requesting state"),
    "subsequent_surrender": N_("Possibility of subsequent surrender"),
    "relative_nature_and_gravity": N_("Relative nature and gravity of the conduct"),
}
FOUND_BY = {  # how a stored competition was found (judicare.competing.detection)
    "create": N_("at registration"),
    "exchange": N_("on receipt over the exchange"),
    "document": N_("when a document was added to the file"),
    "backfill": N_("by a later search of earlier requests"),
}
LABELS = {
    "protection_measure": PROTECTION_MEASURE,
    "measure_status": MEASURE_STATUS,
    "channel": CHANNEL,
    "victim_step": VICTIM_STEP,
    "obligation_status": OBLIGATION_STATUS,
    "obligation_outcome": OBLIGATION_OUTCOME,
    "trigger": TRIGGER,
    "criterion": CRITERION,
    "inform_status": INFORM_STATUS,
    "inform_channel": INFORM_CHANNEL,
    "found_by": FOUND_BY,
}
