"""Fixtures: the notifications tables on SQLite (or DATABASE_URL), and the real firebase-admin
SDK pointed at a local fake FCM server with a real (throw-away) service-account key."""

import json
from collections.abc import Iterator
from pathlib import Path

import firebase_admin
import pytest
import sqlalchemy as sa
import urllib3.util.retry
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from firebase_admin import messaging
from sqlalchemy.orm import Session, sessionmaker

from notifications.db import NotificationsBase
from notifications.transports.fcm import FcmTransport
from tests.notifications.channel_fakes import Channels, running_channels
from tests.notifications.fake_fcm import FakeFcm, point_sdk_at


@pytest.fixture(autouse=True)
def no_sdk_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK sleeps between its own retries (and honours Retry-After): not in tests."""
    monkeypatch.setattr(urllib3.util.retry.Retry, "sleep", lambda self, response=None: None)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    """The run's database, with the notifications tables empty before and after each test.

    Emptied, not dropped: the app tests share this database and expect the tables.
    """
    engine = sa.create_engine(database_url)
    NotificationsBase.metadata.create_all(engine)
    empty_notification_tables(engine)
    yield engine
    empty_notification_tables(engine)
    engine.dispose()


def empty_notification_tables(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(NotificationsBase.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    return sessionmaker(engine)


@pytest.fixture(scope="session")
def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def fake_fcm() -> Iterator[FakeFcm]:
    with FakeFcm() as server:
        yield server


@pytest.fixture
def service_account_file(tmp_path: Path, fake_fcm: FakeFcm, private_key_pem: str) -> Path:
    path = tmp_path / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "carepath-test",
                "private_key_id": "test-key",
                "private_key": private_key_pem,
                "client_email": "push@carepath-test.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": fake_fcm.url + "/token",
            }
        )
    )
    return path


@pytest.fixture
def fcm_transport(
    monkeypatch: pytest.MonkeyPatch, fake_fcm: FakeFcm, service_account_file: Path
) -> Iterator[FcmTransport]:
    """Built the way production builds it: from the key file named in the environment."""
    # Restored after the test; point_sdk_at sets it for this app's messaging service.
    monkeypatch.setattr(messaging._MessagingService, "FCM_URL", messaging._MessagingService.FCM_URL)
    transport = FcmTransport.from_environment({"CAREPATH_FCM_CREDENTIALS": str(service_account_file)})
    assert transport is not None
    point_sdk_at(fake_fcm.url, transport.app)
    yield transport
    firebase_admin.delete_app(transport.app)


@pytest.fixture
def channels() -> Iterator[Channels]:
    with running_channels() as running:
        yield running


@pytest.fixture
def channel_transports(channels: Channels) -> Iterator[list]:
    """The real WeChat, SMS and Web Push transports on the fakes, closed after the test."""
    transports = channels.transports()
    yield transports
    for transport in transports:
        transport.close()
