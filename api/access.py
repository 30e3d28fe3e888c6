"""Who may call each API operation, and inside which site: declared on the view, enforced here
(and told in the OpenAPI document: a signed-in operation carries the bearer security).

Every API operation (a class-based view, or anything under `/api/`) declares its callers with `public`, `staff`, `patient` or
`patient_or_staff`; `create_app` refuses to start when one does not (`check_declared`), so a new
endpoint cannot forget. For a signed-in caller the site scope comes from the account, never from
the request: `g.scope` holds the staff member's site (a regional admin's: every site) or the
patient's journey. Before the view runs, every path value that names a site's record (`site`,
`journey_id`, `room_code`, ...) is looked up in `OWNERS` and answered 404 unless it lies inside
the scope (the same answer as a record that does not exist: nothing to probe). A path value the
table does not know also stops the app from starting. Views act on `g.scope.site()` or
`g.scope.named(code)` for sites named in a body or a query.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from api.extensions import db
from navigation import audit, read_stamps
from navigation.access import Link, open_link
from navigation.errors import DomainError, Forbidden, NotFound
from navigation.models import Booking, Closure, Journey, QueueEntry, Role, Room, Site, StaffUser, Task
from navigation.models import utcnow as _utcnow

STAFF_ROLES = (Role.RECEPTION, Role.NURSE, Role.ADMIN)  # people at a site's desks and rooms
BEARER = [{"bearerAuth": []}]  # the OpenAPI security of every operation but the public ones


class Unauthorized(DomainError):
    status = 401


# ---- the scope ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteScope:
    """The sites a caller acts in: one for site staff and patients, every site for a regional admin."""

    home_id: int | None
    every_site: bool = False

    def includes(self, site_id: int | None) -> bool:
        return self.every_site or (site_id is not None and site_id == self.home_id)

    def site(self) -> Site:
        """The caller's own site; a regional admin has none and must name one."""
        if self.home_id is None:
            raise DomainError("name the site: this account works across sites", field="site")
        return db.session.get_one(Site, self.home_id)

    def named(self, code: str | None) -> Site:
        """The site named in a request (the caller's own when not named), if inside the scope."""
        if code is None:
            return self.site()
        site = db.session.scalar(sa.select(Site).where(Site.code == code))
        if site is None or not self.includes(site.id):
            raise NotFound(f"no site {code!r}", field="site")
        return site


@dataclass(frozen=True)
class Owner:
    """The site a record belongs to, and its journey when it is a patient's."""

    site_id: int | None  # None: a regional admin's account, of no one site
    journey_id: int | None = None


def _site(session: Session, code: str, _scope: SiteScope) -> Owner | None:
    site_id = session.scalar(sa.select(Site.id).where(Site.code == code))
    return Owner(site_id) if site_id is not None else None


def _journey(session: Session, journey_id: int, _scope: SiteScope) -> Owner | None:
    journey = session.get(Journey, journey_id)
    return Owner(journey.site_id, journey.id) if journey else None


def _task(session: Session, task_id: int, _scope: SiteScope) -> Owner | None:
    task = session.get(Task, task_id)
    return Owner(task.journey.site_id, task.journey_id) if task else None


def _entry(session: Session, entry_id: int, _scope: SiteScope) -> Owner | None:
    entry = session.get(QueueEntry, entry_id)
    return Owner(entry.site_id, entry.journey_id) if entry else None


def _room_code(session: Session, code: str, scope: SiteScope) -> Owner | None:
    """Room codes are unique per site: look in the caller's own sites only."""
    query = sa.select(Room.site_id).where(Room.code == code).order_by(Room.id).limit(1)
    if not scope.every_site:
        query = query.where(Room.site_id == scope.home_id)
    site_id = session.scalar(query)
    return Owner(site_id) if site_id is not None else None


def _room_id(session: Session, room_id: int, _scope: SiteScope) -> Owner | None:
    room = session.get(Room, room_id)
    return Owner(room.site_id) if room else None


def _closure(session: Session, closure_id: int, _scope: SiteScope) -> Owner | None:
    closure = session.get(Closure, closure_id)
    return Owner(closure.site_id) if closure else None


def _booking(session: Session, booking_id: int, _scope: SiteScope) -> Owner | None:
    booking = session.get(Booking, booking_id)
    return Owner(booking.site_id) if booking else None


def _staff_account(session: Session, username: str, _scope: SiteScope) -> Owner | None:
    user = session.scalar(sa.select(StaffUser).where(StaffUser.username == username))
    return Owner(user.site_id) if user else None


OWNERS: dict[str, Callable[[Session, Any, SiteScope], Owner | None]] = {
    "site": _site,
    "journey_id": _journey,
    "task_id": _task,
    "entry_id": _entry,
    "room_code": _room_code,
    "room_id": _room_id,
    "closure_id": _closure,
    "username": _staff_account,
    "booking_id": _booking,
}
# Path values that name no record of a site (a kind of room, a public screen's group).
NOT_RECORDS = frozenset({"room_type", "group"})


# ---- declarations -------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """Who may call an operation. `roles` empty and `patient` False: anyone (public)."""

    roles: frozenset[Role] = frozenset()
    patient: bool = False
    public: bool = False
    # staff reading patients' data: one audit row per request under this action
    audit_read: str | None = None
    # staff doing what the patient normally does (paid, arrived...): allowed, and audited as this
    acts_for_patient: str | None = None
    # a phone's poll: its view's stamp is read with the patient's link, in the same query
    stamp: read_stamps.Stamp | None = None


def public(_why: str) -> Callable:
    """Anyone, signed in or not. Say why in `_why` (read by the next engineer, not the code)."""
    return _guard(Access(public=True))


def staff(*roles: Role, audit_read: str | None = None) -> Callable:
    """Signed-in staff of one of `roles`, inside their site."""
    return _guard(Access(roles=frozenset(roles), audit_read=audit_read))


def patient() -> Callable:
    """The patient, with the token of their journey's link."""
    return _guard(Access(patient=True))


def patient_or_staff(
    *roles: Role,
    audit_read: str | None = None,
    acts_for_patient: str | None = None,
    stamp: read_stamps.Stamp | None = None,
) -> Callable:
    """The journey's patient, or staff of its site with one of `roles`. A view answering a
    phone's poll names its `stamp`: the patient's link and the stamp cost one query."""
    return _guard(
        Access(
            roles=frozenset(roles),
            patient=True,
            audit_read=audit_read,
            acts_for_patient=acts_for_patient,
            stamp=stamp,
        )
    )


def declared(view: Callable) -> Access | None:
    return getattr(view, "carepath_access", None)


def _guard(access: Access) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if access.public:
                g.staff, g.scope = None, None
                return view(*args, **kwargs)
            _identify(access)
            _check_path(kwargs)
            audit_action = access.audit_read or access.acts_for_patient
            if g.staff is not None and audit_action:
                _audit(audit_action, kwargs)
            try:
                result = view(*args, **kwargs)
            except BaseException:
                db.session.rollback()
                raise
            if g.staff is not None and access.audit_read:
                db.session.commit()  # the read's audit row, when the view itself wrote nothing
            return result

        wrapper.carepath_access = access  # type: ignore[attr-defined]
        # Whoever must sign in is told so in the OpenAPI document by the same declaration.
        return wrapper if access.public else Blueprint.doc(security=BEARER)(wrapper)

    return decorator


# ---- who is calling -----------------------------------------------------------------------


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _identify(access: Access) -> None:
    token = bearer_token()
    g.staff, g.link, g.journey_id = None, None, None
    if token and token.startswith("pt_"):
        if not access.patient:
            raise Forbidden("a patient's link cannot do this")
        link = patient_link(token, access.stamp)
        g.link, g.journey_id, g.scope = link, link.journey_id, SiteScope(link.site_id)
        return
    if not access.roles:
        raise Unauthorized("open your link again (patient access token needed)", field="Authorization")
    user = current_staff()
    if user.role not in access.roles:
        allowed = ", ".join(r.value for r in sorted(access.roles))
        raise Forbidden(f"this needs one of the roles: {allowed}")
    g.staff = user
    g.scope = SiteScope(user.site_id, every_site=user.role == Role.REGIONAL_ADMIN)


def current_staff(refresh: bool = False) -> StaffUser:
    """The active staff member the request's access token (or `refresh` token) names."""
    verify_jwt_in_request(refresh=refresh)
    identity = get_jwt_identity()
    # Our tokens name a staff id; any other subject ("admin", "²", 20 digits) is no one.
    staff_id = re.fullmatch(r"[0-9]{1,9}", str(identity))
    user = db.session.get(StaffUser, int(identity)) if staff_id else None
    if user is None or not user.active:
        raise Unauthorized("this staff account is no longer active")
    return user


def patient_link(token: str, stamp: read_stamps.Stamp | None = None) -> Link:
    """The journey a patient's link opens; a replaced or expired link answers 410."""
    config = current_app.config
    now = config.get("CLOCK", _utcnow)()
    grace = config["PATIENT_LINK_GRACE"]
    link = open_link(db.session, config["SECRET_KEY"], token, now, grace, stamp)
    if link is None:
        raise NotFound("no journey for this link")
    return link


def patient_journey(token: str) -> Journey:
    """As `patient_link`, the journey loaded."""
    return db.session.get_one(Journey, patient_link(token).journey_id)


def _check_path(values: dict[str, Any]) -> None:
    """Every record the path names must be inside the caller's scope, or it does not exist."""
    link: Link | None = g.link
    for name, value in values.items():
        if name in NOT_RECORDS or (link is not None and name == "journey_id" and value == link.journey_id):
            continue  # the patient's own journey: their link was just checked
        owner = OWNERS[name](db.session, value, g.scope)
        outside = owner is None or not g.scope.includes(owner.site_id)
        if link is not None and owner is not None and owner.journey_id not in (None, link.journey_id):
            outside = True  # another patient's record
        if outside:
            raise NotFound(f"no {name.removesuffix('_id').replace('_', ' ')} {value}", field=name)
        if name == "journey_id":
            g.journey_id = value


def current_journey_id() -> int:
    """The journey of the path or of the patient's link, already checked against the caller."""
    journey_id: int = g.journey_id
    return journey_id


def current_journey() -> Journey:
    """That journey, loaded when a view first needs it (a poll answered 304 never does)."""
    return db.session.get_one(Journey, current_journey_id())


def audience() -> str:
    """Who reads this answer: "staff" (signed in) or "patient" (a patient's link, a public
    screen, or no request at all). Staff's free text is shown to staff only: failing closed,
    anyone not known as staff reads as the patient."""
    return "staff" if has_request_context() and g.get("staff") is not None else "patient"


def actor_name() -> str:
    """Who the task history names: the patient, or the staff member acting for them."""
    return f"staff:{g.staff.id}" if g.staff is not None else "patient"


def _audit(action: str, values: dict[str, Any]) -> None:
    detail: dict[str, Any] = {}
    journey = current_journey() if g.journey_id is not None else None
    if journey is not None:
        target_type, target_id, site_id = "journey", journey.id, journey.site_id
    else:
        target_type, target_id = request.endpoint or "request", request.path
        site_id = g.scope.home_id
        if request.args:  # a search: who looked for which visit number, MRN or name
            detail["query"] = request.args.to_dict()
    audit.record(
        db.session,
        g.staff,
        action,
        target_type,
        target_id,
        site_id=site_id,
        now=current_app.config.get("CLOCK", _utcnow)(),
        patient_id=journey.patient_id if journey is not None else None,
        **detail,
    )


# ---- the start-up check -------------------------------------------------------------------

DOCUMENTATION = frozenset({"api-docs.openapi_json", "api-docs.openapi_swagger_ui", "swagger_assets"})


def check_declared(app: Flask) -> None:
    """Refuse to start if an API operation (any class-based view, anything under /api/) declares
    no callers, or names a record OWNERS cannot place."""
    problems = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        if rule.endpoint in DOCUMENTATION or (view_class is None and not rule.rule.startswith("/api/")):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            handler = getattr(view_class, method.lower(), view)
            access = declared(handler)
            if access is None:
                problems.append(f"{method} {rule.rule}: declare its callers (api/access.py)")
            elif not access.public:
                unknown = set(rule.arguments) - set(OWNERS) - NOT_RECORDS
                problems += [f"{method} {rule.rule}: no owner for <{name}> in OWNERS" for name in unknown]
    if problems:
        raise RuntimeError("API operations without access control:\n" + "\n".join(problems))
