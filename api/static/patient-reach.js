/* How the patient is reached beyond this page: "seen" for escalation, Web Push for a closed
   page, WeChat binding inside WeChat. Uses token, journeyId and tickets from patient.js. */
"use strict";
const REACH = {
  zh: { push: "页面关闭时也通知我", wechat: "用微信接收通知", on: "已开启通知" },
  en: { push: "Notify me when this page is closed", wechat: "Get messages in WeChat", on: "Notifications on" },
};
const reachText = () => REACH[lang || "zh"];
let lastSeenCall = null;

/* The page is open and visible: whatever was sent so far has been seen (no escalation). */
async function reportSeen(force) {
  if (document.visibilityState !== "visible" || !journeyId) return;
  const call = (tickets || []).find((ticket) => ticket.status === "called");
  const key = call ? `${call.task_id}:${call.desk}` : null;
  if (!force && key === lastSeenCall) return;
  lastSeenCall = key;
  try { await api(`/api/v1/journeys/${journeyId}/seen`, { method: "POST", token, body: {} }); } catch (error) { /* next time */ }
}

function b64ToBytes(text) {
  const raw = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function subscribePush(publicKey, button) {
  if ((await Notification.requestPermission()) !== "granted") return;
  const registration = await navigator.serviceWorker.register("/p/sw.js", { scope: "/p/" });
  await navigator.serviceWorker.ready;
  registration.active?.postMessage({ page: location.href }); // where a tapped notification opens
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true, applicationServerKey: b64ToBytes(publicKey),
  });
  await api(`/api/v1/journeys/${journeyId}/push-subscriptions`, { method: "POST", token, body: subscription.toJSON() });
  button.textContent = reachText().on;
  button.disabled = true;
}

async function offerChannels() {
  const box = document.getElementById("reach");
  if (!box || !journeyId) return;
  if (/MicroMessenger/i.test(navigator.userAgent)) {
    const button = el("button", { class: "big secondary", type: "button", id: "reach-wechat" }, reachText().wechat);
    button.onclick = async () => {
      const { authorize_url: url } = await api(`/api/v1/journeys/${journeyId}/wechat/authorize`, { method: "POST", token });
      location.href = url;
    };
    box.append(button);
  } else if ("serviceWorker" in navigator && "PushManager" in window) {
    let key;
    try { key = (await api("/api/v1/webpush/public-key")).public_key; } catch (error) { return; } // not set up here
    const button = el("button", { class: "big secondary", type: "button", id: "reach-push" }, reachText().push);
    button.onclick = () => subscribePush(key, button).catch(() => {});
    box.append(button);
  }
  box.hidden = false;
}

offerChannels();
reportSeen(true);
setInterval(() => reportSeen(false), 3000);
document.addEventListener("visibilitychange", () => reportSeen(true));
