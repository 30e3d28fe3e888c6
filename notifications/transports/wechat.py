"""WeChat official-account template messages, or mini-program subscribe messages, over
WeChat's HTTP API called with httpx.

wechatpy (last release 2021) would add a requests-based client and its own token storage;
the three calls needed here are small, and owning them keeps timeouts, error mapping and
the shared token cache in one place. WeChat errors become CarePath outcomes: an invalid
openid or a user who refused or unfollowed stops that address (the dispatcher falls back to
the patient's next channel); quota and "system busy" are retried later.
"""

import contextlib
import os
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import redis

from notifications.devices import WECHAT
from notifications.transports.base import OneRequestEach, Outcome, Outgoing, SendResult
from notifications.transports.templated import ChannelTemplate, TemplateError, parse_templates, template_for

API_BASE = "https://api.weixin.qq.com"
OAUTH_BASE = "https://open.weixin.qq.com"
HTTP_TIMEOUT_SECONDS = 10
# errcode -> outcome (https://developers.weixin.qq.com: 全局返回码)
TOKEN_INVALID = {40001, 40014, 42001}  # access token invalid or expired: refresh once, resend
ADDRESS_GONE = {
    40003,  # invalid openid (not of this app): unbind
    43004,  # the user unfollowed the official account
    43101,  # the user refused (or used up) the subscription: stop
}
QUOTA = {45009: 600.0, 45011: 60.0, 45047: 60.0}  # daily / per-minute quotas: wait, retry
BUSY = {-1}  # "system busy"


class WeChatError(RuntimeError):
    """WeChat refused to issue an access token (wrong secret, IP not whitelisted...)."""


@dataclass(frozen=True)
class WeChatConfig:
    appid: str
    secret: str
    templates: Mapping[str, ChannelTemplate]
    mode: str = "template"  # "template" (official account) or "subscribe" (mini-program)
    api_base: str = API_BASE
    page: str | None = None  # mini-program page, or official-account link, opened from the message
    oauth_base: str = OAUTH_BASE

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> "WeChatConfig | None":
        if not environ.get("CAREPATH_WECHAT_APPID"):
            return None
        mode = environ.get("CAREPATH_WECHAT_MODE", "template")
        if mode not in ("template", "subscribe"):
            raise ValueError("CAREPATH_WECHAT_MODE must be 'template' or 'subscribe'")
        return cls(
            appid=environ["CAREPATH_WECHAT_APPID"],
            secret=environ.get("CAREPATH_WECHAT_SECRET", ""),
            templates=parse_templates(environ.get("CAREPATH_WECHAT_TEMPLATES")),
            mode=mode,
            api_base=environ.get("CAREPATH_WECHAT_API", API_BASE).rstrip("/"),
            page=environ.get("CAREPATH_WECHAT_PAGE") or None,
            oauth_base=environ.get("CAREPATH_WECHAT_OAUTH", OAUTH_BASE).rstrip("/"),
        )

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """Where the patient's WeChat browser goes to let the hospital's account know its openid
        (snsapi_base: silent, no profile asked)."""
        query = urllib.parse.urlencode(
            {
                "appid": self.appid,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": "snsapi_base",
                "state": state,
            }
        )
        return f"{self.oauth_base}/connect/oauth2/authorize?{query}#wechat_redirect"

    def openid_for_code(self, code: str) -> str:
        """The OAuth callback's code, exchanged for the patient's openid (a code works once)."""
        query = {"appid": self.appid, "secret": self.secret, "code": code, "grant_type": "authorization_code"}
        with httpx.Client(timeout=HTTP_TIMEOUT_SECONDS) as http:
            answer = _json(http.get(f"{self.api_base}/sns/oauth2/access_token", params=query))
        if not answer.get("openid"):
            raise WeChatError(
                f"WeChat refused the code: errcode {answer.get('errcode')} {answer.get('errmsg')}"
            )
        return str(answer["openid"])


class AccessTokens:
    """The app's access token, shared by every process through Redis when there is one.

    WeChat counts token requests per day, so one process fetches (under a Redis lock) and the
    others read it; a token WeChat calls invalid is replaced once, by whoever sees it first,
    with `force_refresh` on the stable-token API so processes never invalidate each other.
    """

    MARGIN_SECONDS = 300  # refresh this long before WeChat's expiry
    LOCK_SECONDS = 15.0

    def __init__(self, http: httpx.Client, config: WeChatConfig, store: redis.Redis | None = None) -> None:
        self.http = http
        self.config = config
        self.store = store
        self.key = f"carepath:wechat:access-token:{config.appid}"
        self.local: str | None = None  # without Redis: this process only
        self.guard = threading.Lock()  # a batch's threads ask together: one of them fetches

    def get(self) -> str:
        return self._cached() or self._refresh(stale=None)

    def invalidate(self, stale: str) -> str:
        """WeChat said `stale` is no longer valid: the fresh token (fetched at most once)."""
        return self._refresh(stale=stale)

    def _cached(self) -> str | None:
        if self.store is None:
            return self.local
        value = self.store.get(self.key)
        return value.decode() if isinstance(value, bytes) else value

    def _refresh(self, stale: str | None) -> str:
        with self.guard:
            return self._refresh_shared(stale)

    def _refresh_shared(self, stale: str | None) -> str:
        if self.store is None:
            if self.local is None or self.local == stale:
                self.local, _ = self._fetch(force=stale is not None)
            return self.local
        with self._lock(self.store):
            current = self._cached()
            if current is not None and current != stale:
                return current  # another process fetched it while we waited
            token, expires_in = self._fetch(force=stale is not None)
            self.store.set(self.key, token, ex=max(60, expires_in - self.MARGIN_SECONDS))
            return token

    @contextlib.contextmanager
    def _lock(self, store: redis.Redis) -> Iterator[None]:
        """SET NX with an expiry, no Lua: a holder that dies frees it after LOCK_SECONDS, and
        at worst two processes both fetch (the stable-token API keeps both tokens valid)."""
        name, me = self.key + ":lock", uuid.uuid4().hex
        deadline = time.monotonic() + self.LOCK_SECONDS
        while not store.set(name, me, nx=True, px=int(self.LOCK_SECONDS * 1000)):
            if time.monotonic() > deadline:
                raise WeChatError("another process held the access-token lock too long")
            time.sleep(0.05)
        try:
            yield
        finally:
            if store.get(name) in (me, me.encode()):
                store.delete(name)

    def _fetch(self, force: bool) -> tuple[str, int]:
        body = {
            "grant_type": "client_credential",
            "appid": self.config.appid,
            "secret": self.config.secret,
            "force_refresh": force,
        }
        answer = _json(self.http.post(f"{self.config.api_base}/cgi-bin/stable_token", json=body))
        if "access_token" not in answer:
            raise WeChatError(f"no access token: errcode {answer.get('errcode')} {answer.get('errmsg')}")
        return str(answer["access_token"]), int(answer.get("expires_in", 7200))


class WeChatTransport(OneRequestEach):
    channel = WECHAT

    def __init__(self, config: WeChatConfig, store: redis.Redis | None = None) -> None:
        self.config = config
        self.http = httpx.Client(timeout=HTTP_TIMEOUT_SECONDS)
        self.tokens = AccessTokens(self.http, config, store)

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] = os.environ, store: redis.Redis | None = None
    ) -> "WeChatTransport | None":
        config = WeChatConfig.from_environment(environ)
        return None if config is None else cls(config, store)

    def close(self) -> None:
        self.http.close()

    def _send_one(self, message: Outgoing) -> SendResult:
        try:
            template = template_for(self.config.templates, message)
            body = self._body(message, template)
        except TemplateError as exc:
            return SendResult(Outcome.REJECTED, error=str(exc))
        kind = "subscribe" if self.config.mode == "subscribe" else "template"
        url = f"{self.config.api_base}/cgi-bin/message/{kind}/send"
        token = self.tokens.get()
        for attempt in (1, 2):
            try:
                response = self.http.post(url, params={"access_token": token}, json=body)
            except httpx.HTTPError as exc:  # the message names no URL: the token stays out of logs
                return SendResult(Outcome.RETRY, error=f"WeChat unreachable: {type(exc).__name__}")
            if response.status_code >= 500:
                return SendResult(Outcome.RETRY, error=f"WeChat answered HTTP {response.status_code}")
            answer = _json(response)
            errcode = int(answer.get("errcode", 0))
            if errcode in TOKEN_INVALID and attempt == 1:
                token = self.tokens.invalidate(token)
                continue
            return result_of_errcode(errcode, str(answer.get("errmsg", "")))
        raise AssertionError("unreachable")

    def _body(self, message: Outgoing, template: ChannelTemplate) -> dict[str, Any]:
        body: dict[str, Any] = {
            "touser": message.address,
            "template_id": template.template_id,
            "data": {name: {"value": value} for name, value in template.fill(message)},
        }
        if self.config.mode == "subscribe":
            if self.config.page:
                body["page"] = self.config.page
        else:
            # WeChat sends one message per (openid, client_msg_id): a resend after a lost
            # answer is dropped by WeChat itself.
            body["client_msg_id"] = message.event_id
            if self.config.page:
                body["url"] = self.config.page
        return body


def result_of_errcode(errcode: int, errmsg: str) -> SendResult:
    if errcode == 0:
        return SendResult(Outcome.ACKNOWLEDGED)
    error = f"WeChat errcode {errcode}: {errmsg}"[:500]
    if errcode in ADDRESS_GONE:
        return SendResult(Outcome.ADDRESS_GONE, error=error)
    if errcode in QUOTA:
        return SendResult(Outcome.RETRY, retry_after=QUOTA[errcode], error=error)
    if errcode in BUSY or errcode in TOKEN_INVALID:
        return SendResult(Outcome.RETRY, error=error)
    return SendResult(Outcome.REJECTED, error=error)  # a wrong template or field: fix the config


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {"errcode": -1, "errmsg": f"not JSON (HTTP {response.status_code})"}
    return answer if isinstance(answer, dict) else {"errcode": -1, "errmsg": "not a JSON object"}
