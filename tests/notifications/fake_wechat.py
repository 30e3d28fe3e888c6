"""A local stand-in for WeChat's HTTP API: stable access tokens, template and subscribe
messages with WeChat's error codes, and the web OAuth code exchange that binds an openid."""

import itertools
import time
from collections import Counter, deque
from dataclasses import dataclass, field

from tests.notifications.fake_http import Answer, FakeService, Request


@dataclass
class Sent:
    kind: str  # "template" or "subscribe"
    openid: str
    template_id: str
    data: dict[str, str]
    client_msg_id: str | None
    errcode: int
    at: float = field(default_factory=time.time)


def error(errcode: int, errmsg: str) -> Answer:
    return Answer(200, {"errcode": errcode, "errmsg": errmsg})  # WeChat errors are HTTP 200


ERRMSG = {
    40001: "invalid credential, access_token is invalid or not latest",
    40003: "invalid openid",
    40037: "invalid template_id",
    43004: "require subscribe",
    43101: "user refuse to accept the msg",
    45009: "reach max api daily quota limit",
    -1: "system error",
}


class FakeWeChat(FakeService):
    def __init__(self, appid: str = "wx-test-app", secret: str = "wx-secret") -> None:
        super().__init__()
        self.appid, self.secret = appid, secret
        self.serial = itertools.count(1)
        self.valid_tokens: set[str] = set()
        self.current: str | None = None
        self.tokens_issued = 0
        self.sent: list[Sent] = []
        self.gone: set[str] = set()  # openids answering 40003
        self.refused: set[str] = set()  # openids answering 43101
        self.scripts: dict[str, deque[int]] = {}  # openid -> next errcodes
        self.codes: dict[str, str] = {}  # OAuth code -> openid

    def script(self, openid: str, *errcodes: int) -> None:
        with self.lock:
            self.scripts.setdefault(openid, deque()).extend(errcodes)

    def expire_tokens(self) -> None:
        with self.lock:
            self.valid_tokens.clear()

    def grant(self, code: str, openid: str) -> None:
        """The patient consented in WeChat: this code, sent to the callback, names them."""
        with self.lock:
            self.codes[code] = openid

    def delivered(self) -> Counter[str]:
        with self.lock:
            return Counter(s.client_msg_id or "" for s in self.sent if s.errcode == 0)

    def accepted(self) -> list[tuple[str, float]]:
        with self.lock:
            return [(s.client_msg_id or "", s.at) for s in self.sent if s.errcode == 0]

    def answer(self, request: Request) -> Answer:
        with self.lock:
            if request.path == "/cgi-bin/stable_token":
                return self._token(request.json())
            if request.path == "/sns/oauth2/access_token":
                return self._oauth(request.query)
            kind = request.path.removeprefix("/cgi-bin/message/").removesuffix("/send")
            if kind in ("template", "subscribe"):
                return self._message(kind, request)
        return Answer(404, {"errcode": 404, "errmsg": "no such api"})

    def _token(self, body: dict) -> Answer:
        if body.get("appid") != self.appid or body.get("secret") != self.secret:
            return error(40125, "invalid appsecret")
        if body.get("force_refresh") or self.current not in self.valid_tokens:
            self.tokens_issued += 1
            self.current = f"wx-token-{self.tokens_issued}"
            self.valid_tokens = {self.current}
        return Answer(200, {"access_token": self.current, "expires_in": 7200})

    def _oauth(self, query: dict[str, str]) -> Answer:
        openid = self.codes.pop(query.get("code", ""), None)  # a code works once
        if query.get("appid") != self.appid or query.get("secret") != self.secret:
            return error(40125, "invalid appsecret")
        if openid is None:
            return error(40029, "invalid code")
        return Answer(
            200, {"access_token": "user-token", "expires_in": 7200, "openid": openid, "scope": "snsapi_base"}
        )

    def _message(self, kind: str, request: Request) -> Answer:
        if request.query.get("access_token") not in self.valid_tokens:
            return error(40001, ERRMSG[40001])
        body = request.json()
        openid = str(body.get("touser", ""))
        errcode = 0
        if openid in self.gone:
            errcode = 40003
        elif openid in self.refused:
            errcode = 43101
        elif self.scripts.get(openid):
            errcode = self.scripts[openid].popleft()
        self.sent.append(
            Sent(
                kind=kind,
                openid=openid,
                template_id=str(body.get("template_id")),
                data={k: v["value"] for k, v in body.get("data", {}).items()},
                client_msg_id=body.get("client_msg_id"),
                errcode=errcode,
            )
        )
        if errcode:
            return error(errcode, ERRMSG.get(errcode, "error"))
        return Answer(200, {"errcode": 0, "errmsg": "ok", "msgid": next(self.serial)})
