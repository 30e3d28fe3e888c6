"""Patient access tokens: the unguessable link printed as a QR code at check-in.

The token is an HMAC of the journey id and a per-journey salt under the server's secret, so
reception can reprint the same link at any time and no token is ever stored in the database.
A lost phone gets a new link: the salt changes and the old one is kept, so the old link can say
"go to the desk" (410) instead of looking like a wrong one. A link also ends a grace period after
the journey's last visit day (its check-in, or a later planned step such as a return visit).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from navigation import read_stamps
from navigation.errors import DomainError
from navigation.models import Journey, Site, Task

TOKEN_PATTERN = re.compile(r"^pt_(\d{1,18})_([A-Za-z0-9_-]{43})$")
GO_TO_THE_DESK = "请到服务台领取新链接 / Please ask at the reception desk for a new link."


class LinkGone(DomainError):
    """A link that was good once: replaced, or past its journey's last day."""

    status = 410


def new_salt() -> str:
    return secrets.token_hex(16)


def _token(secret: str, journey_id: int, salt: str) -> str:
    mac = hmac.new(secret.encode(), f"journey:{journey_id}:{salt}".encode(), hashlib.sha256)
    return f"pt_{journey_id}_{base64.urlsafe_b64encode(mac.digest()).decode().rstrip('=')}"


def access_token(secret: str, journey: Journey) -> str:
    return _token(secret, journey.id, journey.token_salt)


def replace_link(journey: Journey) -> None:
    """A new link for the journey (a lost phone); the old one answers 410 from now on."""
    journey.replaced_salts = [*journey.replaced_salts, journey.token_salt]
    journey.token_salt = new_salt()


def last_visit_day(created_at: datetime, steps: list[datetime | None], timezone: str) -> datetime:
    """The end of the journey's last day in the hospital's time: its check-in day, or the day of
    its latest planned or finished step (`steps`; a booked return visit moves it on)."""
    zone = ZoneInfo(timezone)
    day = max(m.astimezone(zone).date() for m in [created_at, *steps] if m is not None)
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


@dataclass(frozen=True)
class Link:
    """A patient's link, checked: the journey it opens and that journey's site. The journey
    itself is not loaded: a phone's poll answered 304 never needs it."""

    journey_id: int
    site_id: int


_JOURNEY_OF_LINK = (  # built once: building it took a phone's poll longer than running it
    sa.select(
        Journey.id,
        Journey.site_id,
        Journey.token_salt,
        Journey.replaced_salts,
        Journey.created_at,
        Site.timezone,
        sa.select(sa.func.max(Task.planned_end)).where(Task.journey_id == Journey.id).scalar_subquery(),
        sa.select(sa.func.max(Task.completed_at)).where(Task.journey_id == Journey.id).scalar_subquery(),
    )
    .join(Site, Site.id == Journey.site_id)
    .where(Journey.id == read_stamps.JOURNEY_ID)
)


@cache
def _journey_of_link_stamped(stamp: read_stamps.Stamp) -> sa.Select:
    """The link's query with a view's stamp alongside (one row each, side by side)."""
    stamped = stamp.statement.subquery(f"{stamp.name}_stamp")
    return _JOURNEY_OF_LINK.join(stamped, sa.true()).add_columns(*stamped.c)


def open_link(
    session: Session,
    secret: str,
    token: str,
    now: datetime,
    grace: timedelta,
    stamp: read_stamps.Stamp | None = None,
) -> Link | None:
    """The journey a token opens, or None; constant-time comparison against the expected token.
    A replaced or expired link raises LinkGone. One query, in SQLAlchemy Core (the ORM's setup
    of an entity was a third of a poll's CPU): a phone asks every few seconds, and with `stamp`
    the same query stamps the view it asks for (`read_stamps.keep`)."""
    match = TOKEN_PATTERN.match(token)
    if not match:
        return None
    query = _JOURNEY_OF_LINK if stamp is None else _journey_of_link_stamped(stamp)
    found = session.connection().execute(query, {"journey_id": int(match.group(1))}).first()
    if found is None:
        return None
    journey_id, site_id, salt, replaced_salts, created_at, timezone, last_planned, last_done, *stamped = found
    if hmac.compare_digest(_token(secret, journey_id, salt), token):
        if now >= last_visit_day(created_at, [last_planned, last_done], timezone) + grace:
            raise LinkGone(f"此链接已过期 / This link has expired. {GO_TO_THE_DESK}")
        if stamp is not None:
            read_stamps.keep(session, stamp, journey_id, tuple(stamped))
        return Link(journey_id, site_id)
    if any(hmac.compare_digest(_token(secret, journey_id, old), token) for old in replaced_salts):
        raise LinkGone(f"此链接已被更换 / This link was replaced. {GO_TO_THE_DESK}")
    return None
