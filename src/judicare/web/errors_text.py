"""Errors in the officer's language: a translated sentence per stable error code, with the
service's own detail (which names the exact problem) kept beside it."""

from __future__ import annotations

from fastapi import Request

from judicare.web.i18n import Translator
from judicare.web.labels import N_
from judicare.web.session import language_of

# Stable error code -> sentence (translated through the catalogues).
ERROR_TITLES = {
    "not_found": N_("This page or record does not exist, or you have no need to know it."),
    "forbidden": N_("Your role does not allow this action."),
    "unauthenticated": N_("Please sign in again."),
    "invalid_input": N_("Some of the information given cannot be accepted."),
    "validation_error": N_("Some of the information given cannot be accepted."),
    "unknown_state": N_("A state code was not recognised."),
    "unknown_instrument": N_("An instrument was not recognised."),
    "action_refused": N_("This action is refused."),
    "import_rejected": N_("The file was not imported; nothing was changed."),
    "conflict": N_("This conflicts with the current state of the record."),
    "precondition_failed": N_("Someone changed this request meanwhile: reload it and try again."),
    "precondition_required": N_("Reload the request before changing it."),
    "transition_not_allowed": N_("The request cannot move to that status from its current one."),
    "decision_needs_reasons": N_("A decision needs its reasons and citations."),
    "awaiting_supervisor": N_("A decision on this request awaits a supervisor's approval."),
    "decision_required": N_(
        "Accepting, refusing and postponing are decisions: use the decision form."
    ),
    "withdrawal_needs_reason": N_("A withdrawal needs its reason: say who withdrew it and why."),
    "payload_too_large": N_("The file is too large."),
    "form_rejected": N_("The form has expired. Reload the page and send it again."),
    "method_not_allowed": N_("This page cannot be used that way."),
    "database_not_ready": N_("The database is not ready."),
    "database_unavailable": N_("The database cannot answer at this moment: try again in a moment."),
    "internal_error": N_(
        "Something went wrong on our side. It has been recorded; try again, or tell your "
        "administrator the time it happened."
    ),
}


def error_text(request: Request, code: str, detail: str, detail_lang: str = "en") -> dict:
    """The translated sentence for `code`; `detail` is the service's own words (English)
    unless the caller says otherwise, and the page marks its language."""
    translator = Translator(language_of(request))
    title = ERROR_TITLES.get(code, N_("Something went wrong."))
    return {"code": code, "title": translator.gettext(title), "detail": detail,
            "detail_lang": detail_lang}  # fmt: skip


# Pydantic error types -> sentences shown next to a form field.
FIELD_PROBLEMS = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field is required."),
    "string_too_long": N_("This text is too long."),
    "too_long": N_("Too many entries."),
    "date_from_datetime_parsing": N_("Give a real date (YYYY-MM-DD)."),
    "date_parsing": N_("Give a real date (YYYY-MM-DD)."),
    "date_type": N_("Give a real date (YYYY-MM-DD)."),
    "enum": N_("Choose one of the options."),
    "literal_error": N_("Choose one of the options."),
    "string_pattern_mismatch": N_("This value is not in the expected form."),
    "value_error": N_("This value is not in the expected form."),
    "unknown_state": N_("Unknown state: give an ISO 3166 code such as BEL or BE."),
}


def field_problem(translator: Translator, error_type: str, limit: int | None = None) -> str:
    """The problem with a field, in the officer's language; a text too long says the limit."""
    if error_type == "string_too_long" and limit:
        return translator.gettext(
            "This text is too long: at most %(limit)s characters.", limit=translator.number(limit)
        )
    fallback = N_("This value cannot be accepted.")
    return translator.gettext(FIELD_PROBLEMS.get(error_type, fallback))
