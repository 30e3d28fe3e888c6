/* "How should we reach you?": the patient picks their preferred channel among those they have
   an address for, so every message goes there first. Uses token, journeyId, lang, api and el. */
"use strict";
const CHANNEL_TEXT = {
  zh: { title: "我们如何通知您？", saved: "已保存：我们将通过{c}通知您", failed: "保存失败，请重试",
        names: { wechat: "微信", sms: "短信", webpush: "浏览器通知", fcm: "手机应用" } },
  en: { title: "How should we reach you?", saved: "Saved: we will reach you by {c}", failed: "Not saved, please try again",
        names: { wechat: "WeChat", sms: "SMS", webpush: "browser notifications", fcm: "the app" } },
};
const channelText = () => CHANNEL_TEXT[lang || "zh"];
let channelState = null;
let channelNote = null; // [key, channel] of the last message shown, re-said after a language change

function renderChannels() {
  const box = document.getElementById("channels");
  const { order, reachable } = channelState;
  const offered = order.filter((channel) => reachable.includes(channel));
  box.hidden = offered.length === 0;
  const chosen = offered[0];
  document.getElementById("channels-title").textContent = channelText().title;
  document.getElementById("channels-options").replaceChildren(...offered.map((channel) => {
    const input = el("input", { type: "radio", name: "channel", value: channel, id: `channel-${channel}` });
    input.checked = channel === chosen;
    input.onchange = () => saveChannel(channel);
    return el("label", { class: "check", for: `channel-${channel}` }, input, channelText().names[channel]);
  }));
  const [key, channel] = channelNote || [];
  document.getElementById("channels-saved").textContent =
    key ? channelText()[key].replace("{c}", channelText().names[channel] || "") : "";
}

async function saveChannel(channel) {
  const rest = channelState.preferred.filter((other) => other !== channel);
  try {
    channelState = await api(`/api/v1/journeys/${journeyId}/channels`,
      { method: "PUT", token, body: { channels: [channel, ...rest] } });
    channelNote = ["saved", channel];
  } catch (error) {
    channelNote = ["failed", channel];
  }
  renderChannels();
}

async function offerPreference() {
  if (!journeyId) return;
  try { channelState = await api(`/api/v1/journeys/${journeyId}/channels`, { token }); } catch (error) { return; }
  renderChannels();
}

// the page sets <html lang> once the journey is loaded and whenever the patient switches language
new MutationObserver(() => channelState && renderChannels())
  .observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
offerPreference();
