/* The patient's booking before the day, from their own link: the day(s), when to arrive and
   where, what to do beforehand, in Chinese or English; add it to the calendar, move it to
   another offered day, or cancel it. No exam names: the page may be read over a shoulder. */
"use strict";
const TEXT = {
  zh: {
    title: "您的预约", visit: "第{i}次就诊（共{n}次）", arrive: "请于 {a} 至 {b} 之间到达", where: "地点：{p}",
    prepare: "就诊前请注意", calendar: "加入日历", rebook: "改期", cancel: "取消预约",
    rebookTitle: "请选择新的日期", back: "返回", noDays: "暂无其他可约日期，请联系服务台。",
    cancelQ: "确定要取消这次预约吗？", cancelYes: "是的，取消预约", cancelNo: "不取消，保留预约",
    moved: "已改到 {d}。", taken: "该日期刚刚约满，请选择其他日期。",
    state: {
      booked: "已预约", held: "请于 {t} 前缴费，否则预约将失效。",
      cancelled: "此预约已取消。如需重新预约，请联系服务台。", expired: "未按时缴费，预约已失效。请联系服务台。",
      "no-show": "您错过了到达时间。请选择新的日期。", arrived: "您已报到，请按当天就诊页面进行。",
    },
    loading: "正在加载…", offline: "网络连接中断，请稍后再试。", notFound: "链接无效，请到服务台咨询", other: "English",
  },
  en: {
    title: "Your booking", visit: "Visit {i} of {n}", arrive: "Arrive between {a} and {b}", where: "Where: {p}",
    prepare: "Before you come", calendar: "Add to calendar", rebook: "Change the day", cancel: "Cancel booking",
    rebookTitle: "Choose a new day", back: "Back", noDays: "No other day is free; please contact reception.",
    cancelQ: "Cancel this booking?", cancelYes: "Yes, cancel it", cancelNo: "No, keep it",
    moved: "Moved to {d}.", taken: "That day has just filled up: please choose another.",
    state: {
      booked: "Booked", held: "Please pay before {t}, or the booking lapses.",
      cancelled: "This booking is cancelled. To book again, please contact reception.",
      expired: "Not paid in time: the booking has lapsed. Please contact reception.",
      "no-show": "You missed your arrival time. Please choose a new day.",
      arrived: "You have checked in: follow your visit page for today.",
    },
    loading: "Loading…", offline: "Connection lost: please try again in a moment.",
    notFound: "This link is not valid. Please ask at reception.", other: "中文",
  },
};
const token = decodeURIComponent(location.pathname.split("/").pop());
const base = `/api/v1/booking-links/${encodeURIComponent(token)}`;
let lang = localStorage.getItem("carepath-lang");
let booking = null;
let offers = null; // the days offered for a move, while the patient chooses
let note = null; // what the last change did, said in the language of the moment

const $ = (id) => document.getElementById(id);
const t = () => TEXT[lang || "zh"];
const fill = (text, values) => Object.entries(values).reduce((s, [k, v]) => s.replace(`{${k}}`, v), text);

function showLanguage() {
  document.documentElement.lang = lang || "zh";
  $("lang").textContent = t().other;
  $("lang").lang = lang === "en" ? "zh" : "en";
}

function visitCard(visit, i, count) {
  const [a, b] = arrivalWindow(visit, booking.timezone);
  return el("section", { class: "next-card visit", "data-day": visit.day },
    el("h2", {}, `${count > 1 ? `${fill(t().visit, { i: i + 1, n: count })} · ` : ""}${bookingDay(visit.day, lang)}`),
    el("p", { class: "window" }, fill(t().arrive, { a, b })),
    el("p", { class: "where" }, fill(t().where, { p: booking.place[lang] })),
    el("h3", {}, t().prepare),
    el("ul", { class: "prepare" }, ...visit.preparation.map((line) => el("li", {}, line[lang]))));
}

/* An offered move: its day(s) and windows, a line each, as one button. */
function offerButton(offer) {
  const days = offer.visits.map((visit) => {
    const [a, b] = arrivalWindow(visit, booking.timezone);
    return el("span", { class: "line" }, `${bookingDay(visit.day, lang)} ${a}–${b}`);
  });
  const button = el("button", { type: "button", class: "big secondary", "data-day": offer.visits[0].day }, ...days);
  button.onclick = () => move(offer.visits[0].day);
  return button;
}

function render() {
  showLanguage();
  const open = ["held", "booked"].includes(booking.status);
  const gone = ["cancelled", "expired"].includes(booking.status);
  $("summary").hidden = false;
  $("summary").classList.toggle("ask", !open);
  $("summary-title").textContent = t().title;
  const state = fill(t().state[booking.status] || booking.status,
    { t: booking.hold_expires_at ? hospitalTime(booking.hold_expires_at, booking.timezone) : "" });
  $("summary-state").textContent = [state, note && note()].filter(Boolean).join(" ");
  $("visits").replaceChildren(...(gone ? [] : booking.visits.map((v, i) => visitCard(v, i, booking.visits.length))));
  $("actions").hidden = !(open || booking.status === "no-show") || offers !== null;
  $("calendar").hidden = !open;
  $("calendar").href = `${base}/calendar.ics`;
  $("calendar").textContent = t().calendar;
  $("rebook").textContent = t().rebook;
  $("cancel").hidden = !open;
  $("cancel").textContent = t().cancel;
  $("cancel-question").textContent = t().cancelQ;
  $("cancel-yes").textContent = t().cancelYes;
  $("cancel-no").textContent = t().cancelNo;
  $("rebook-days").hidden = offers === null;
  $("rebook-title").textContent = t().rebookTitle;
  $("rebook-back").textContent = t().back;
  if (offers === null) return;
  const others = offers.filter((o) => o.visits[0].day !== booking.visits[0]?.day);
  $("rebook-list").replaceChildren(...(others.length ? others.map(offerButton) : [el("p", {}, t().noDays)]));
}

/* Every change answers with the booking as it now is. */
async function change(path, body, after) {
  try {
    booking = await api(`${base}/${path}`, { method: "POST", body });
    offers = null;
    note = after || null;
    $("status").textContent = "";
    $("cancel-confirm").hidden = true;
    render();
    $("summary").scrollIntoView({ block: "start" });
  } catch (error) {
    // a day just taken: choose again; anything else that changed meanwhile: show it as it is now
    if (error.status !== 409) {
      $("status").textContent = t().offline;
      return;
    }
    $("cancel-confirm").hidden = true;
    await load();
    if (path === "rebook") $("status").textContent = t().taken;
    $("status").scrollIntoView({ block: "start" });
  }
}

function move(day) {
  change("rebook", { day }, () => fill(t().moved, { d: bookingDay(booking.visits[0].day, lang) }));
}

async function load() {
  try {
    booking = await api(base);
    lang = lang || booking.language;
    $("status").textContent = "";
    if (offers !== null) offers = (await api(`${base}/offers`)).offers;
    render();
  } catch (error) {
    const invalid = error.status === 404;
    $("status").textContent = invalid ? "" : t().offline;
    $("invalid").hidden = !invalid;
    showLanguage();
    $("invalid-text").textContent = t().notFound;
  }
}

$("rebook").onclick = async () => {
  try {
    offers = (await api(`${base}/offers`)).offers;
    note = null;
    render();
    $("rebook-days").scrollIntoView({ block: "start" });
  } catch (error) { $("status").textContent = t().offline; }
};
$("rebook-back").onclick = () => { offers = null; render(); };
$("cancel").onclick = () => {
  $("cancel-confirm").hidden = false;
  $("cancel-confirm").scrollIntoView({ block: "start" });
  $("cancel-no").focus();
};
$("cancel-no").onclick = () => { $("cancel-confirm").hidden = true; };
$("cancel-yes").onclick = () => change("cancel");
$("lang").onclick = () => {
  lang = lang === "en" ? "zh" : "en";
  localStorage.setItem("carepath-lang", lang);
  if (booking) render();
  else if (!$("invalid").hidden) load();
};

$("status").textContent = TEXT.zh.loading;
load();
document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && load());
