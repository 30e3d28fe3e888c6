"""How each patient is reached: preferred channels, a phone number for SMS, the browser's push
subscription, WeChat binding through WeChat's OAuth, and "I have seen it" for escalation."""

from __future__ import annotations

import json

from flask import current_app, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from marshmallow import Schema, fields, validate

from api import access
from api.access import STAFF_ROLES, current_journey
from api.background import phone_key
from api.context import commit, now
from api.extensions import db
from navigation.errors import DomainError, NotFound
from notifications import (
    CHANNELS,
    WEBPUSH,
    WECHAT,
    PhoneCipher,
    Recipient,
    mark_seen,
    parse_order,
    preference,
    register_device,
    register_phone,
    set_preference,
)
from notifications.devices import addresses_of
from notifications.preferences import full_order
from notifications.transports.webpush import VapidConfig
from notifications.transports.wechat import WeChatConfig, WeChatError

blp = Blueprint("channels", __name__, url_prefix="/api/v1", description="How each patient is reached")
JOURNEY_ID = "<int(max=2147483647):journey_id>"
BIND_SECONDS = 600  # from the patient tapping "WeChat" to WeChat calling back


class ChannelsSchema(Schema):
    channels = fields.List(
        fields.String(validate=validate.OneOf(CHANNELS)),
        required=True,
        validate=validate.Length(min=1, max=len(CHANNELS)),
        metadata={"description": "Preferred first; the hospital's order follows for the rest"},
    )


class ChannelsOutSchema(Schema):
    preferred = fields.List(fields.String())
    order = fields.List(fields.String(), metadata={"description": "Every channel, in the order tried"})
    reachable = fields.List(
        fields.String(), metadata={"description": "Channels with an address for this patient"}
    )


class PhoneSchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(min=5, max=32))


class PushKeysSchema(Schema):
    p256dh = fields.String(required=True, validate=validate.Length(min=1, max=200))
    auth = fields.String(required=True, validate=validate.Length(min=1, max=100))


class PushSubscriptionSchema(Schema):
    """The browser's PushSubscription.toJSON()."""

    endpoint = fields.Url(required=True, schemes={"https", "http"}, validate=validate.Length(max=700))
    expirationTime = fields.Integer(load_default=None, allow_none=True)  # noqa: N815 (the browser's name)
    keys = fields.Nested(PushKeysSchema, required=True)


class PublicKeySchema(Schema):
    public_key = fields.String(metadata={"description": "VAPID applicationServerKey (base64url)"})


class SeenSchema(Schema):
    event_id = fields.String(
        load_default=None,
        validate=validate.Length(max=36),
        metadata={"description": "One message; all when left out"},
    )


class SeenOutSchema(Schema):
    seen = fields.Integer(metadata={"description": "Messages newly marked seen"})


class AuthorizeSchema(Schema):
    authorize_url = fields.String(metadata={"description": "Open inside WeChat to bind this journey"})


class CallbackQuerySchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=128))
    state = fields.String(required=True, validate=validate.Length(min=1, max=128))


class BoundSchema(Schema):
    channel = fields.String()
    message_en = fields.String()
    message_zh = fields.String()


def save_phone(owner: int | Recipient, phone: str) -> None:
    """A journey's or a booking's SMS number, stored encrypted and never shown back; an invalid
    number is a 422 on `phone` (the request's transaction is not committed)."""
    try:
        register_phone(db.session, owner, phone, PhoneCipher(phone_key(current_app)))
    except ValueError as exc:
        raise DomainError(str(exc), field="phone") from exc


def _order() -> tuple[str, ...]:
    return parse_order(current_app.config.get("CHANNEL_ORDER"))


def _channels(journey_id: int) -> dict:
    preferred = preference(db.session, journey_id)
    reachable = sorted({a.channel for a in addresses_of(db.session, [journey_id])[journey_id]})
    return {"preferred": preferred, "order": full_order(preferred, _order()), "reachable": reachable}


@blp.route(f"/journeys/{JOURNEY_ID}/channels")
class Channels(MethodView):
    @access.patient_or_staff(*STAFF_ROLES, audit_read="journey.channels.read")
    @blp.response(200, ChannelsOutSchema)
    def get(self, journey_id: int):
        """The patient's preferred channels, the full order tried, and which have an address."""
        return _channels(current_journey().id)

    @access.patient_or_staff(*STAFF_ROLES, acts_for_patient="journey.channels_for_patient")
    @blp.arguments(ChannelsSchema)
    @blp.response(200, ChannelsOutSchema)
    def put(self, body: dict, journey_id: int):
        """Reception records the patient's preference, or the patient changes it on the phone."""
        try:
            set_preference(db.session, current_journey().id, body["channels"])
        except ValueError as exc:
            raise DomainError(str(exc), field="channels") from exc
        commit()
        return _channels(journey_id)


@blp.route(f"/journeys/{JOURNEY_ID}/phone")
class Phone(MethodView):
    @access.patient_or_staff(*STAFF_ROLES, acts_for_patient="journey.phone_for_patient")
    @blp.arguments(PhoneSchema)
    @blp.response(204)
    def put(self, body: dict, journey_id: int):
        """The number SMS goes to (stored encrypted, never shown back or logged)."""
        save_phone(journey_id, body["phone"])
        commit()


@blp.route("/webpush/public-key")
class PushPublicKey(MethodView):
    @access.public("the VAPID public key is public by design: browsers subscribe with it")
    @blp.response(200, PublicKeySchema)
    def get(self):
        """The key the patient page subscribes with; 404 when Web Push is not configured."""
        return {"public_key": _vapid().public_key()}


@blp.route(f"/journeys/{JOURNEY_ID}/push-subscriptions")
class PushSubscriptions(MethodView):
    @access.patient()
    @blp.arguments(PushSubscriptionSchema)
    @blp.response(204)
    def post(self, body: dict, journey_id: int):
        """The patient page's browser subscribed to Web Push: "your turn" reaches it closed."""
        subscription = {"endpoint": body["endpoint"], "keys": body["keys"]}
        register_device(db.session, journey_id, json.dumps(subscription), "web", channel=WEBPUSH)
        commit()


@blp.route(f"/journeys/{JOURNEY_ID}/seen")
class Seen(MethodView):
    @access.patient()
    @blp.arguments(SeenSchema)
    @blp.response(200, SeenOutSchema)
    def post(self, body: dict, journey_id: int):
        """The patient has seen their messages (the page or a push was opened): a "your turn"
        seen is not escalated to another channel, and the nurse board stops saying "not yet seen"."""
        seen = mark_seen(db.session, journey_id, now(), body["event_id"])
        commit()
        return {"seen": seen}


@blp.route(f"/journeys/{JOURNEY_ID}/wechat/authorize")
class WeChatAuthorize(MethodView):
    @access.patient()
    @blp.response(200, AuthorizeSchema)
    def post(self, journey_id: int):
        """Inside WeChat, the page sends the patient here to bind their openid to this journey."""
        state = _binding().dumps(journey_id)
        callback = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/") + url_for(
            "channels.WeChatCallback"
        )
        return {"authorize_url": _wechat().authorize_url(callback, state)}


@blp.route("/wechat/callback")
class WeChatCallback(MethodView):
    @access.public("WeChat's OAuth redirect: the signed state names the journey, the code the patient")
    @blp.arguments(CallbackQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, BoundSchema)
    def get(self, code: str, state: str):
        """WeChat sends the patient back with a code: their openid now receives the journey's messages."""
        try:
            journey_id = int(_binding().loads(state, max_age=BIND_SECONDS))
        except SignatureExpired as exc:
            raise DomainError("this link has expired; open your page and try again", field="state") from exc
        except BadSignature as exc:
            raise DomainError("this link is not valid", field="state") from exc
        try:
            openid = _wechat().openid_for_code(code)
        except WeChatError as exc:
            raise DomainError("WeChat did not confirm you; please try again", field="code") from exc
        register_device(db.session, journey_id, openid, "wechat", channel=WECHAT)
        commit()
        return {
            "channel": WECHAT,
            "message_en": "WeChat will now tell you when it is your turn.",
            "message_zh": "已绑定微信，轮到您时会通过微信通知您。",
        }


def _binding() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="carepath-wechat-bind")


def _wechat() -> WeChatConfig:
    config = current_app.config.get("WECHAT") or WeChatConfig.from_environment()
    if config is None:
        raise NotFound("WeChat is not set up at this hospital", field="channel")
    return config


def _vapid() -> VapidConfig:
    config = current_app.config.get("VAPID") or VapidConfig.from_environment()
    if config is None:
        raise NotFound("Web Push is not set up at this hospital", field="channel")
    return config
