"""Import every model so that Alembic and relationship resolution see the whole schema."""

from app.attendance.models import Attendance, Refusal  # noqa: F401, E402
from app.audit.models import AuditEntry  # noqa: F401
from app.auth.models import ApiToken, User  # noqa: F401
from app.budget.models import Allocation, BudgetLine, FundingSource  # noqa: F401, E402
from app.certificates.models import Certificate, CertificateRule, CertificateTemplate, Register  # noqa: F401, E402
from app.costs.models import SpendingNorm  # noqa: F401, E402
from app.evaluations.models import Question, Questionnaire, Respondent, Response  # noqa: F401, E402
from app.geo.models import AdminUnit  # noqa: F401
from app.materials.models import ActivityMaterial, Material, MaterialVersion  # noqa: F401, E402
from app.people.models import Person  # noqa: F401
from app.planning.models import (  # noqa: F401, E402
    Activity,
    ActivityMember,
    ActivitySession,
    ActivityTransition,
    Destination,
    Plan,
    Trainer,
    TrainerTier,
    Venue,
)
from app.reference.models import Ethnicity, Organisation, ParticipantCategory, Signatory, TrainingTopic  # noqa: F401
from app.registration.models import Enrolment, Quota  # noqa: F401, E402
from app.reports.models import Indicator, IndicatorValue, ReportingPeriod  # noqa: F401
