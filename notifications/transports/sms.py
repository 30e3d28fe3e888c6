"""SMS through Tencent Cloud's SMS API with its official SDK (tencentcloud-sdk-python-sms).

Template id, signature and SDK app id come from configuration; the phone number is decrypted
only for the request and never appears in a log line or an error (the SDK's own debug log
prints whole requests, so it is held at INFO). Per-number answers become CarePath outcomes:
a wrong or blacklisted (unsubscribed) number stops that address, a frequency or balance limit
is retried later, a template or signature the provider refuses is rejected.
"""

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from notifications.devices import SMS
from notifications.phones import PhoneCipher
from notifications.transports.base import OneRequestEach, Outcome, Outgoing, SendResult
from notifications.transports.templated import ChannelTemplate, TemplateError, parse_templates, template_for

logging.getLogger("tencentcloud_sdk_common").setLevel(logging.INFO)  # its DEBUG prints numbers

HTTP_TIMEOUT_SECONDS = 10
ADDRESS_GONE = {
    "InvalidParameterValue.IncorrectPhoneNumber",
    "FailedOperation.PhoneNumberInBlacklist",  # the patient replied TD / unsubscribed
    "FailedOperation.PhoneNumberParseFail",
    "UnsupportedOperation.UnsupportedRegion",
}
RETRY_AFTER = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": 30.0,
    "LimitExceeded.PhoneNumberOneHourLimit": 600.0,
    "LimitExceeded.PhoneNumberDailyLimit": 3600.0,
    "FailedOperation.InsufficientBalanceInSmsPackage": 300.0,
}
# Network trouble and provider faults; a credentials problem is retried until staff fix it.
RETRY_PREFIXES = (
    "InternalError",
    "RequestLimitExceeded",
    "LimitExceeded",
    "AuthFailure",
    "ClientNetworkError",
    "ServerNetworkError",
)


@dataclass(frozen=True)
class SmsConfig:
    secret_id: str
    secret_key: str
    sdk_app_id: str
    sign_name: str
    templates: Mapping[str, ChannelTemplate]
    region: str = "ap-guangzhou"
    endpoint: str | None = None  # host[:port]; the SDK's default host when None
    scheme: str = "https"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> "SmsConfig | None":
        if not environ.get("CAREPATH_SMS_SDK_APP_ID"):
            return None
        return cls(
            secret_id=environ.get("CAREPATH_SMS_SECRET_ID", ""),
            secret_key=environ.get("CAREPATH_SMS_SECRET_KEY", ""),
            sdk_app_id=environ["CAREPATH_SMS_SDK_APP_ID"],
            sign_name=environ.get("CAREPATH_SMS_SIGN_NAME", ""),
            templates=parse_templates(environ.get("CAREPATH_SMS_TEMPLATES")),
            region=environ.get("CAREPATH_SMS_REGION", "ap-guangzhou"),
            endpoint=environ.get("CAREPATH_SMS_ENDPOINT") or None,
            scheme=environ.get("CAREPATH_SMS_SCHEME", "https"),
        )


class SmsTransport(OneRequestEach):
    channel = SMS

    def __init__(self, config: SmsConfig, cipher: PhoneCipher) -> None:
        self.config = config
        self.cipher = cipher
        http = HttpProfile(protocol=config.scheme, endpoint=config.endpoint, reqTimeout=HTTP_TIMEOUT_SECONDS)
        http.keepAlive = True
        self.client = sms_client.SmsClient(
            credential.Credential(config.secret_id, config.secret_key),
            config.region,
            ClientProfile(httpProfile=http),
        )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> "SmsTransport | None":
        config = SmsConfig.from_environment(environ)
        return None if config is None else cls(config, PhoneCipher.from_environment(environ))

    def close(self) -> None:
        self.client.request.conn._session.close()  # the SDK keeps a requests session, no close()

    def _send_one(self, message: Outgoing) -> SendResult:
        try:
            template = template_for(self.config.templates, message)
            params = [value for _, value in template.fill(message)]
            phone = self.cipher.decrypt(message.address)
        except (TemplateError, ValueError) as exc:
            return SendResult(Outcome.REJECTED, error=str(exc)[:500])
        request = models.SendSmsRequest()
        request.SmsSdkAppId = self.config.sdk_app_id
        request.SignName = self.config.sign_name
        request.TemplateId = template.template_id
        request.TemplateParamSet = params
        request.PhoneNumberSet = [phone]
        request.SessionContext = message.event_id  # comes back in delivery receipts
        try:
            answer = self.client.SendSms(request)
        except TencentCloudSDKException as exc:
            return result_of_code(exc.get_code() or "InternalError", str(exc.get_message() or ""))
        statuses = answer.SendStatusSet or []
        if not statuses:
            return SendResult(Outcome.RETRY, error="Tencent SMS answered without a status")
        return result_of_code(statuses[0].Code or "", statuses[0].Message or "")


def result_of_code(code: str, message: str) -> SendResult:
    """The provider's code for one number; its message is kept only without digits (a number)."""
    if code == "Ok":
        return SendResult(Outcome.ACKNOWLEDGED)
    error = f"Tencent SMS {code}: {''.join(c for c in message if not c.isdigit())}"[:500]
    if code in ADDRESS_GONE:
        return SendResult(Outcome.ADDRESS_GONE, error=error)
    if code in RETRY_AFTER:
        return SendResult(Outcome.RETRY, retry_after=RETRY_AFTER[code], error=error)
    if code.startswith(RETRY_PREFIXES) or not code:
        return SendResult(Outcome.RETRY, error=error)
    return SendResult(Outcome.REJECTED, error=error)
