"""Patient access tokens: the unguessable link printed as a QR code at check-in.

The token is an HMAC of the journey id and a per-journey salt under the server's secret, so
reception can reprint the same link at any time and no token is ever stored in the database.
Rotating the salt revokes a link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from sqlalchemy.orm import Session

from navigation.models import Journey

TOKEN_PATTERN = re.compile(r"^pt_(\d{1,18})_([A-Za-z0-9_-]{43})$")


def new_salt() -> str:
    return secrets.token_hex(16)


def access_token(secret: str, journey: Journey) -> str:
    mac = hmac.new(secret.encode(), f"journey:{journey.id}:{journey.token_salt}".encode(), hashlib.sha256)
    return f"pt_{journey.id}_{base64.urlsafe_b64encode(mac.digest()).decode().rstrip('=')}"


def journey_for_token(session: Session, secret: str, token: str) -> Journey | None:
    """The journey a token opens, or None; constant-time comparison against the expected token."""
    match = TOKEN_PATTERN.match(token)
    if not match:
        return None
    journey = session.get(Journey, int(match.group(1)))
    if journey is None:
        return None
    return journey if hmac.compare_digest(access_token(secret, journey), token) else None
