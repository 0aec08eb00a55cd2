"""Every table, imported in one place so that migrations and metadata see them all."""

from judicare.audit import models as audit_models
from judicare.auth import models as auth_models
from judicare.competing import models as competing_models
from judicare.drafts import models as draft_models  # noqa: F401
from judicare.evidence import models as evidence_models  # noqa: F401
from judicare.exchange import models as exchange_models  # noqa: F401
from judicare.notifications import models as notification_models  # noqa: F401
from judicare.persons import models as person_models
from judicare.prevention import models as prevention_models
from judicare.prosecution import models as prosecution_models
from judicare.requests import models as request_models
from judicare.screening import models as screening_models
from judicare.treaties import models as treaty_models
from judicare.victims import models as victim_models

__all__ = [
    "audit_models",
    "auth_models",
    "competing_models",
    "person_models",
    "prevention_models",
    "prosecution_models",
    "request_models",
    "screening_models",
    "treaty_models",
    "victim_models",
]
