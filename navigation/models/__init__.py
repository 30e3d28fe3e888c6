"""SQLAlchemy models of the journey domain."""

from navigation.models.base import Base, utcnow
from navigation.models.booking import Booking, BookingStatus, BookingVisit
from navigation.models.hospital import Building, Floor, Room, RoomStatus, Site
from navigation.models.integration import CodeMapping, FhirServer, InboundMessage, JourneyOrder, OrderStatus
from navigation.models.journey import (
    Journey,
    JourneyStatus,
    Language,
    Mobility,
    Patient,
    Task,
    TaskDependency,
    TaskStatus,
    TaskTransition,
)
from navigation.models.queue import EntryStatus, QueueEntry, QueueEvent, RoomQueue, ServiceTime  # noqa: F401
from navigation.models.routing import Closure, SiteMapRecord
from navigation.models.staff import (
    AuditRecord,
    CatalogVersion,
    IdempotencyKey,
    LoginFailure,
    Role,
    SiteCatalog,
    StaffSession,
    StaffUser,
)

__all__ = [
    "AuditRecord",
    "Base",
    "Booking",
    "BookingStatus",
    "BookingVisit",
    "Building",
    "CatalogVersion",
    "Closure",
    "CodeMapping",
    "FhirServer",
    "Floor",
    "IdempotencyKey",
    "InboundMessage",
    "Journey",
    "JourneyOrder",
    "JourneyStatus",
    "Language",
    "LoginFailure",
    "Mobility",
    "OrderStatus",
    "Patient",
    "Role",
    "Room",
    "RoomStatus",
    "Site",
    "SiteCatalog",
    "SiteMapRecord",
    "StaffSession",
    "StaffUser",
    "Task",
    "TaskDependency",
    "TaskStatus",
    "TaskTransition",
    "utcnow",
]
