"""Every channel at once: the fakes of WeChat, Tencent SMS and a Web Push service, and the
real transports pointed at them, configured the way production reads its environment."""

import contextlib
import json
from dataclasses import dataclass

from py_vapid import Vapid, b64urlencode

from notifications.phones import PhoneCipher
from notifications.transports.sms import SmsTransport
from notifications.transports.webpush import WebPushTransport
from notifications.transports.wechat import WeChatTransport
from tests.notifications.fake_push_service import FakePushService
from tests.notifications.fake_sms import FakeTencentSms
from tests.notifications.fake_wechat import FakeWeChat

WECHAT_TEMPLATES = {
    "turn_now": {
        "template_id": "TPL-TURN",
        "fields": {"thing1": "{title}", "character_string2": "{room}", "number3": "{desk}"},
    },
    "*": {"template_id": "TPL-ANY", "fields": {"thing1": "{title}", "thing2": "{body}"}},
}
SMS_TEMPLATES = {
    "turn_now": {"template_id": "100001", "params": ["{room}", "{desk}"]},
    "*": {"template_id": "100000", "params": ["{title}"]},
}
PHONE_KEY = "test-phone-key"


def vapid_private_key() -> str:
    key = Vapid()
    key.generate_keys()
    return b64urlencode(key.private_key.private_numbers().private_value.to_bytes(32, "big"))


@dataclass
class Channels:
    wechat: FakeWeChat
    sms: FakeTencentSms
    push: FakePushService
    environ: dict[str, str]
    cipher: PhoneCipher

    def transports(self) -> list:
        found = [
            WeChatTransport.from_environment(self.environ),
            SmsTransport.from_environment(self.environ),
            WebPushTransport.from_environment(self.environ),
        ]
        return [t for t in found if t is not None]


@contextlib.contextmanager
def running_channels():
    with FakeWeChat() as wechat, FakeTencentSms() as sms, FakePushService() as push:
        environ = {
            "CAREPATH_WECHAT_APPID": wechat.appid,
            "CAREPATH_WECHAT_SECRET": wechat.secret,
            "CAREPATH_WECHAT_TEMPLATES": json.dumps(WECHAT_TEMPLATES),
            "CAREPATH_WECHAT_API": wechat.url,
            "CAREPATH_SMS_SDK_APP_ID": "1400000001",
            "CAREPATH_SMS_SECRET_ID": "AKID-test",
            "CAREPATH_SMS_SECRET_KEY": "secret",
            "CAREPATH_SMS_SIGN_NAME": "CarePath医院",
            "CAREPATH_SMS_TEMPLATES": json.dumps(SMS_TEMPLATES),
            "CAREPATH_SMS_ENDPOINT": sms.host,
            "CAREPATH_SMS_SCHEME": "http",
            "CAREPATH_PHONE_KEY": PHONE_KEY,
            "CAREPATH_VAPID_PRIVATE_KEY": vapid_private_key(),
            "CAREPATH_VAPID_SUBJECT": "mailto:it@hospital.example",
        }
        yield Channels(wechat, sms, push, environ, PhoneCipher(PHONE_KEY))
