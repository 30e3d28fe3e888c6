"""Patients' phone numbers, encrypted at rest: the SMS channel's address.

A number is stored only as a Fernet token (AES with an HMAC) under a key derived from
CAREPATH_PHONE_KEY (or SECRET_KEY): a database dump or a log line quoting a device row shows
no number. Only the SMS transport decrypts, at the moment it sends.
"""

import base64
import os
import re
from collections.abc import Mapping

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from notifications.devices import SMS, Device
from notifications.recipients import Recipient, of, recipient

# E.164, or a mainland mobile number written without +86.
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")


class PhoneCipher:
    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a phone-number key is needed (CAREPATH_PHONE_KEY or SECRET_KEY)")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"carepath-phone-numbers").derive(
            secret.encode()
        )
        self.fernet = Fernet(base64.urlsafe_b64encode(key))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> "PhoneCipher":
        return cls(environ.get("CAREPATH_PHONE_KEY") or environ.get("SECRET_KEY", ""))

    def encrypt(self, phone: str) -> str:
        return self.fernet.encrypt(normalise(phone).encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self.fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("this phone number was encrypted under another key") from exc


def normalise(phone: str) -> str:
    """'+86 138-0013-8000' and '13800138000' are the same number: '+8613800138000'."""
    digits = re.sub(r"[\s()-]", "", phone)
    if _MAINLAND_MOBILE.match(digits):
        digits = "+86" + digits
    if not _E164.match(digits):
        raise ValueError("phone must be a mobile number such as +8613800138000")
    return digits


def register_phone(session: Session, journey_id: int | Recipient, phone: str, cipher: PhoneCipher) -> Device:
    """One number per journey (or booking): a new one replaces the old (each encryption
    differs, so the ciphertext cannot be compared)."""
    token = cipher.encrypt(phone)
    who = recipient(journey_id)
    session.execute(sa.delete(Device).where(of(Device, who), Device.channel == SMS))
    device = Device(
        journey_id=who.journey_id, booking_id=who.booking_id, channel=SMS, token=token, platform="sms"
    )
    session.add(device)
    return device
