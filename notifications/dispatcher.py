"""Delivers the outbox: claim due rows, send them in batches, record what happened.

Several dispatchers may run against one database (web processes, RQ workers). A pass claims
rows by writing a lease in one short transaction (PostgreSQL skips rows another claim holds
with FOR UPDATE SKIP LOCKED; SQLite serialises writers), sends outside any transaction, then
records the outcome. A dispatcher that dies after FCM acknowledged but before recording
leaves its lease to expire: the rows are sent again (the phone drops the duplicate by event
id), never lost. Acknowledgements are recorded per device after every batch, so a retry only
goes to the devices that have not acknowledged yet.
"""

import contextlib
import logging
import os
import random
import socket
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from notifications import tracing
from notifications.db import UtcDateTime, utcnow
from notifications.devices import Address, addresses_for, forget_token
from notifications.escalation import choose_channel, escalate_due
from notifications.events import POLICIES, Event, replace_tag
from notifications.metrics import count_outcome
from notifications.outbox import OutboxMessage, Status
from notifications.preferences import DEFAULT_ORDER, orders_for
from notifications.recipients import Recipient
from notifications.transports.base import Outcome, Outgoing, SendResult, Transport

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 2.0
    cap_seconds: float = 300.0

    def delay(self, attempts: int, retry_after: float | None, rng: random.Random) -> float:
        """Exponential backoff with jitter (so a storm's survivors don't return in lockstep),
        never sooner than the channel's Retry-After."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        return max(ceiling / 2 + rng.uniform(0, ceiling / 2), retry_after or 0.0)


@dataclass(frozen=True)
class DispatchConfig:
    claim_limit: int = 500  # messages per pass
    lease_seconds: float = 120.0  # longer than a batch takes, SDK retries included
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    channel_order: tuple[str, ...] = DEFAULT_ORDER  # after each patient's own preference
    escalate_after_seconds: float = 60.0  # an unseen "your turn" then goes to the next channel
    max_escalations: int = 1


@dataclass
class PassReport:
    claimed: int = 0
    sent: int = 0  # addresses handed to a transport
    escalated: int = 0  # unseen messages moved to their next channel
    fell_back: int = 0  # messages whose channel failed for good, due again at once on the next
    statuses: dict[str, int] = field(default_factory=dict)


@dataclass
class _Claimed:
    """A claimed row as plain data: commits in the middle of a pass must not reload it."""

    id: int
    event_id: str
    journey_id: int | None
    booking_id: int | None
    step_id: str | None
    event: Event
    title: str
    body: str
    attempts: int
    expires_at: datetime
    acknowledged: list[str]
    detail: str
    params: dict[str, str]
    skipped: list[str]
    escalations: int
    seen: bool
    channel: str | None = None  # chosen in this pass
    request_id: str | None = None
    results: list[SendResult] = field(default_factory=list)

    @property
    def recipient(self) -> Recipient:
        return Recipient(self.journey_id, self.booking_id)


def _log_outcome(message: _Claimed, update: dict[str, object]) -> None:
    """One line per message and pass, under the id of the request that queued it."""
    with tracing.acting_for(message.request_id):
        logger.info(
            "message %s: %s",
            message.event.value,
            update["status"],
            extra={
                "event_id": message.event_id,
                "journey_id": message.journey_id,
                "booking_id": message.booking_id,
                "status": update["status"],
                "attempts": update["attempts"],
            },
        )


class Dispatcher:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        transports: Iterable[Transport],
        config: DispatchConfig | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.transports = {transport.channel: transport for transport in transports}
        self.config = config or DispatchConfig()
        self.clock = clock
        self.rng = rng or random.Random()
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def run_pass(self) -> PassReport:
        """Claim up to `claim_limit` due messages and deliver them once."""
        now = self.clock()
        with self.session_factory() as session:
            escalated = escalate_due(
                session, now, self.config.channel_order, self.transports, self.config.claim_limit
            )
        claimed = self._claim(now)
        report = PassReport(claimed=len(claimed), escalated=escalated)
        if not claimed:
            return report
        with self.session_factory() as session, self._lease_kept([m.id for m in claimed]):
            recipients = list({m.recipient: None for m in claimed})
            addresses = addresses_for(session, recipients)
            orders = orders_for(session, recipients, self.config.channel_order)
            sendable = [m for m in claimed if m.expires_at > now]
            for message in sendable:
                message.channel = self._choose(message, orders, addresses)
            for channel, batch in self._batches(sendable, addresses, now):
                report.sent += len(batch)
                self._send(session, channel, batch, addresses)
            finished = self.clock()  # sending may have taken a while (SDK retries)
            updates = [self._outcome(m, finished, orders, addresses) for m in claimed]
            session.execute(sa.update(OutboxMessage), updates)
            session.commit()
        report.fell_back = sum(
            1 for u in updates if u["status"] == Status.PENDING and u.get("skipped_channels")
        )
        for message, update in zip(claimed, updates, strict=True):
            status = str(update["status"])
            report.statuses[status] = report.statuses.get(status, 0) + 1
            _log_outcome(message, update)
        return report

    def run_until_idle(self, max_passes: int = 100) -> list[PassReport]:
        """Pass after pass while passes come back full or fell back to another channel, so a
        backlog drains in one call."""
        reports = [self.run_pass()]
        while (reports[-1].claimed >= self.config.claim_limit or reports[-1].fell_back) and len(
            reports
        ) < max_passes:
            reports.append(self.run_pass())
        return reports

    def next_due(self) -> datetime | None:
        """When the earliest waiting message can next be claimed (for a scheduler to wake up).

        A row leased by a dispatcher that died is not claimable before its lease ends; waking
        earlier would only spin.
        """
        claimable_at = sa.case(
            (OutboxMessage.lease_until > OutboxMessage.next_attempt_at, OutboxMessage.lease_until),
            else_=OutboxMessage.next_attempt_at,
        )
        earliest = sa.type_coerce(sa.func.min(claimable_at), UtcDateTime())  # typed on SQLite too
        escalation = sa.type_coerce(sa.func.min(OutboxMessage.escalate_at), UtcDateTime())
        with self.session_factory() as session:
            retry = session.scalar(sa.select(earliest).where(OutboxMessage.status == Status.PENDING.value))
            unseen = session.scalar(
                sa.select(escalation).where(
                    OutboxMessage.status == Status.DELIVERED.value, OutboxMessage.seen_at.is_(None)
                )
            )
        return min((t for t in (retry, unseen) if t is not None), default=None)

    def _choose(
        self,
        message: _Claimed,
        orders: dict[Recipient, list[str]],
        addresses: dict[Recipient, list[Address]],
    ) -> str | None:
        return choose_channel(
            orders[message.recipient], message.skipped, addresses[message.recipient], self.transports
        )

    def _claim(self, now: datetime) -> list[_Claimed]:
        free = sa.or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now)
        due = (
            sa.select(OutboxMessage.id)
            .where(
                OutboxMessage.status == Status.PENDING.value,
                OutboxMessage.next_attempt_at <= now,
                free,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(self.config.claim_limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one writer anyway
        )
        claim = (
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(due.scalar_subquery()), free)
            .values(
                lease_owner=self.name,
                lease_until=now + timedelta(seconds=self.config.lease_seconds),
            )
            .returning(
                OutboxMessage.id,
                OutboxMessage.event_id,
                OutboxMessage.journey_id,
                OutboxMessage.booking_id,
                OutboxMessage.step_id,
                OutboxMessage.event,
                OutboxMessage.title,
                OutboxMessage.body,
                OutboxMessage.attempts,
                OutboxMessage.expires_at,
                OutboxMessage.acknowledged,
                OutboxMessage.detail,
                OutboxMessage.params,
                OutboxMessage.skipped_channels,
                OutboxMessage.escalations,
                OutboxMessage.seen_at,
                OutboxMessage.request_id,
            )
        )
        with self.session_factory() as session:
            rows = session.execute(claim, execution_options={"synchronize_session": False})
            claimed = [
                _Claimed(
                    id=row.id,
                    event_id=row.event_id,
                    journey_id=row.journey_id,
                    booking_id=row.booking_id,
                    step_id=row.step_id,
                    event=Event(row.event),
                    title=row.title,
                    body=row.body,
                    attempts=row.attempts,
                    expires_at=row.expires_at,
                    acknowledged=list(row.acknowledged or []),
                    detail=row.detail,
                    params=dict(row.params or {}),
                    skipped=list(row.skipped_channels or []),
                    escalations=row.escalations or 0,
                    seen=row.seen_at is not None,
                    request_id=row.request_id,
                )
                for row in rows
            ]
            session.commit()
        return claimed

    @contextlib.contextmanager
    def _lease_kept(self, ids: list[int]) -> Iterator[None]:
        """Renew the lease while this pass is alive: the SDK honours Retry-After inside one
        call and may block longer than any fixed lease. A dead process stops renewing."""
        done = threading.Event()

        def renew() -> None:
            lease = timedelta(seconds=self.config.lease_seconds)
            while not done.wait(self.config.lease_seconds / 3):
                try:
                    with self.session_factory() as session:
                        session.execute(
                            sa.update(OutboxMessage)
                            .where(OutboxMessage.id.in_(ids), OutboxMessage.lease_owner == self.name)
                            .values(lease_until=self.clock() + lease),
                            execution_options={"synchronize_session": False},
                        )
                        session.commit()
                except Exception:  # at worst the lease lapses: a duplicate, never a loss
                    logger.exception("could not renew the lease of %d messages", len(ids))

        keeper = threading.Thread(target=renew, name="carepath-lease-keeper", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            done.set()
            keeper.join()

    def _batches(
        self, messages: Sequence[_Claimed], addresses: dict[Recipient, list[Address]], now: datetime
    ) -> list[tuple[str, list[tuple[_Claimed, Address, Outgoing]]]]:
        by_channel: dict[str, list[tuple[_Claimed, Address, Outgoing]]] = defaultdict(list)
        for message in messages:
            policy = POLICIES[message.event]
            for address in addresses[message.recipient]:
                if address.channel != message.channel or address.key in message.acknowledged:
                    continue
                by_channel[address.channel].append(
                    (
                        message,
                        address,
                        Outgoing(
                            address=address.token,
                            platform=address.platform,
                            event_id=message.event_id,
                            journey_id=message.journey_id,
                            step_id=message.step_id,
                            title=message.title,
                            body=message.body,
                            priority=policy.priority,
                            # What is left of the time-to-live, not the full span again.
                            ttl_seconds=max(1, int((message.expires_at - now).total_seconds())),
                            replace_tag=replace_tag(message.event, message.journey_id),
                            event=message.event.value,
                            detail=message.detail,
                            params=message.params,
                            booking_id=message.booking_id,
                        ),
                    )
                )
        batches = []
        for channel, items in by_channel.items():
            size = self.transports[channel].max_batch if channel in self.transports else 500
            batches += [(channel, items[i : i + size]) for i in range(0, len(items), size)]
        return batches

    def _send(
        self,
        session: Session,
        channel: str,
        batch: list[tuple[_Claimed, Address, Outgoing]],
        addresses: dict[Recipient, list[Address]],
    ) -> None:
        """Send one batch and commit its acknowledgements at once, before the next batch."""
        transport = self.transports.get(channel)
        try:
            if transport is None:
                raise LookupError(f"no transport configured for channel {channel!r}")
            results = transport.send([outgoing for _, _, outgoing in batch])
        except Exception as error:  # the whole batch is retried later; nothing is lost
            logger.exception("transport %s failed a batch of %d", channel, len(batch))
            results = [SendResult(Outcome.RETRY, error=repr(error)[:500])] * len(batch)
        touched: dict[int, _Claimed] = {}
        for (message, address, _), result in zip(batch, results, strict=True):
            message.results.append(result)
            count_outcome(channel, result.outcome)
            if result.outcome is Outcome.ACKNOWLEDGED:
                message.acknowledged.append(address.key)
                touched[message.id] = message
            elif result.outcome is Outcome.ADDRESS_GONE:
                forget_token(session, address.channel, address.token)
                for known in addresses.values():  # gone for this pass's fallback choice too
                    if address in known:
                        known.remove(address)
        if touched:
            session.execute(
                sa.update(OutboxMessage),
                [{"id": m.id, "acknowledged": list(m.acknowledged)} for m in touched.values()],
            )
        session.commit()

    def _outcome(
        self,
        message: _Claimed,
        now: datetime,
        orders: dict[Recipient, list[str]],
        addresses: dict[Recipient, list[Address]],
    ) -> dict[str, object]:
        """The row's next state, as values for a bulk update by primary key."""
        attempts = message.attempts + (1 if message.results else 0)
        update: dict[str, object] = {
            "id": message.id,
            "acknowledged": message.acknowledged,
            "lease_owner": None,
            "lease_until": None,
            "attempts": attempts,
            "finished_at": now,
        }
        retries = [r for r in message.results if r.outcome is Outcome.RETRY]
        rejected = [r for r in message.results if r.outcome is Outcome.REJECTED]
        # Some address of this pass's channel has it, in this pass or an earlier one.
        reached = any(key.startswith(f"{message.channel}:") for key in message.acknowledged)
        if message.results and not reached and not retries:
            return update | self._fall_back(message, now, orders, addresses, rejected)
        if rejected:
            return update | {"status": Status.FAILED.value, "last_error": rejected[0].error}
        if message.expires_at <= now and (retries or not message.results):
            # Too late to be useful: a stale "your turn" sends the patient to the wrong desk.
            error = retries[-1].error if retries else None
            return update | {"status": Status.EXPIRED.value, "last_error": error}
        if retries and attempts >= self.config.retry.max_attempts:
            last = f"gave up after {attempts} attempts: {retries[-1].error}"
            return update | {"status": Status.FAILED.value, "last_error": last[:500]}
        if retries:
            retry_after = max((r.retry_after or 0.0) for r in retries)
            wait = self.config.retry.delay(attempts, retry_after, self.rng)
            return update | {
                "status": Status.PENDING.value,
                "next_attempt_at": now + timedelta(seconds=wait),
                "last_error": retries[-1].error,
                "finished_at": None,
            }
        if not message.acknowledged:
            return update | {"status": Status.NO_DEVICE.value, "last_error": None}
        update |= {"status": Status.DELIVERED.value, "last_error": None}
        if reached:
            update["channel"] = message.channel
            escalate_at = now + timedelta(seconds=self.config.escalate_after_seconds)
            if (
                POLICIES[message.event].escalates
                and not message.seen
                and message.escalations < self.config.max_escalations
                and escalate_at < message.expires_at
            ):
                update["escalate_at"] = escalate_at
        return update

    def _fall_back(
        self,
        message: _Claimed,
        now: datetime,
        orders: dict[Recipient, list[str]],
        addresses: dict[Recipient, list[Address]],
        rejected: list[SendResult],
    ) -> dict[str, object]:
        """Every address of the channel failed for good: the next channel now, if there is one."""
        skipped = [*message.skipped, str(message.channel)]
        error = (rejected[0].error if rejected else message.results[-1].error) or "channel failed"
        error = f"{message.channel}: {error}"[:500]
        following = choose_channel(
            orders[message.recipient], skipped, addresses[message.recipient], self.transports
        )
        if following is not None and message.expires_at > now:
            return {
                "status": Status.PENDING.value,
                "skipped_channels": skipped,
                "next_attempt_at": now,
                "last_error": error,
                "finished_at": None,
            }
        if message.acknowledged:  # reached on an earlier channel, before an escalation
            return {"status": Status.DELIVERED.value, "skipped_channels": skipped, "last_error": error}
        status = Status.FAILED if rejected else Status.NO_DEVICE
        return {"status": status.value, "skipped_channels": skipped, "last_error": error}
