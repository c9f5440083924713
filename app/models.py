"""Import every model so that Alembic and relationship resolution see the whole schema."""

from app.audit.models import AuditEntry  # noqa: F401
from app.auth.models import ApiToken, User  # noqa: F401
from app.geo.models import AdminUnit  # noqa: F401
from app.people.models import Person  # noqa: F401
from app.reference.models import Ethnicity, Organisation, ParticipantCategory, Signatory, TrainingTopic  # noqa: F401
