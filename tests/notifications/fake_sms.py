"""A local stand-in for Tencent Cloud's SMS API (SendSms, version 2021-01-11): per-number
status codes as the service returns them, and whole-request errors."""

import itertools
import time
from collections import Counter, deque
from dataclasses import dataclass, field

from tests.notifications.fake_http import Answer, FakeService, Request


@dataclass
class Text:
    phone: str
    template_id: str
    params: list[str]
    sign_name: str
    session_context: str
    code: str
    at: float = field(default_factory=time.time)


class FakeTencentSms(FakeService):
    def __init__(self) -> None:
        super().__init__()
        self.serial = itertools.count(1)
        self.texts: list[Text] = []
        self.codes: dict[str, deque[str]] = {}  # phone -> next per-number codes
        self.request_errors: deque[str] = deque()  # next whole-request error codes
        self.signed = 0  # requests that carried a TC3 signature
        self.blacklisted: set[str] = set()  # numbers that unsubscribed (TD): refused every time

    def script(self, phone: str, *codes: str) -> None:
        with self.lock:
            self.codes.setdefault(phone, deque()).extend(codes)

    def fail_requests(self, *codes: str) -> None:
        with self.lock:
            self.request_errors.extend(codes)

    def delivered(self) -> Counter[str]:
        with self.lock:
            return Counter(t.session_context for t in self.texts if t.code == "Ok")

    def accepted(self) -> list[tuple[str, float]]:
        with self.lock:
            return [(t.session_context, t.at) for t in self.texts if t.code == "Ok"]

    def answer(self, request: Request) -> Answer:
        request_id = f"req-{next(self.serial)}"
        if request.headers.get("x-tc-action") != "SendSms":
            return self._error("InvalidAction", "only SendSms here", request_id)
        with self.lock:
            if request.headers.get("authorization", "").startswith("TC3-HMAC-SHA256 Credential="):
                self.signed += 1
            if self.request_errors:
                return self._error(self.request_errors.popleft(), "request refused", request_id)
            body = request.json()
            statuses = []
            for phone in body.get("PhoneNumberSet", []):
                queued = self.codes.get(phone)
                code = queued.popleft() if queued else "Ok"
                if phone in self.blacklisted:
                    code = "FailedOperation.PhoneNumberInBlacklist"
                self.texts.append(
                    Text(
                        phone=phone,
                        template_id=body.get("TemplateId", ""),
                        params=list(body.get("TemplateParamSet") or []),
                        sign_name=body.get("SignName", ""),
                        session_context=body.get("SessionContext", ""),
                        code=code,
                    )
                )
                statuses.append(
                    {
                        "SerialNo": f"serial-{next(self.serial)}",
                        "PhoneNumber": phone,
                        "Fee": 1 if code == "Ok" else 0,
                        "SessionContext": body.get("SessionContext", ""),
                        "Code": code,
                        "Message": "send success" if code == "Ok" else f"{code} for {phone}",
                        "IsoCode": "CN",
                    }
                )
        return Answer(200, {"Response": {"SendStatusSet": statuses, "RequestId": request_id}})

    def _error(self, code: str, message: str, request_id: str) -> Answer:
        return Answer(
            200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}
        )
