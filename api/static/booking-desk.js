/* Reception's booking desk: the patient's orders give the earliest days on which they all fit
   (one visit a day where orders must not share a day), each with its arrival window and the
   planned time of every step; reception books one, then takes the payment, rebooks or cancels.
   A booking made before is found by visit number or in a day's list (booking-find.js). */
"use strict";
const $ = (id) => document.getElementById(id);
let token = null;
const names = new Map(); // exam code → "English · 中文"
let booking = null;
const session = staffSession("carepath-staff", {
  onToken: (value) => { token = value; },
  onEnd: (why) => { finder.clear(); show("login"); $("login").querySelector(".error").textContent = why; },
});

function show(id) {
  ["login", "booking-form", "booking"].forEach((x) => ($(x).hidden = x !== id));
  $("offers").hidden = true;
  $("find").hidden = id === "login";
}

function signedOut(error) {
  if (error.status !== 401) return false;
  session.signOut(error.message);
  return true;
}

const KINDS = {
  blood_draw: "Blood draw · 抽血", water: "Drink water · 饮水", meal: "Meal · 进食", report: "Reports · 报告",
  return_visit: "Return visit · 复诊", pickup: "Pharmacy · 取药", payment: "Payment · 缴费",
};

function stepName(step) {
  const exams = step.exam_codes.map((code) => names.get(code) || code).join(" + ");
  if (step.kind === "exam" && exams) return exams;
  return [KINDS[step.kind] || step.kind, exams].filter(Boolean).join(": ");
}

/* One visit: its day, the arrival window, and every step at its planned time and room. */
function visitBlock(visit, i, count, timeZone) {
  const [from, to] = arrivalWindow(visit, timeZone);
  const heading = `${count > 1 ? `Visit ${i + 1} of ${count} · 第${i + 1}/${count}次 · ` : ""}`
    + `${visit.day} · ${bookingDay(visit.day, "en")} · ${bookingDay(visit.day, "zh")}`;
  return el("div", { class: "visit", "data-day": visit.day },
    el("h3", {}, heading),
    el("p", { class: "window" }, `Arrive ${from}–${to} · 到达时间 ${from}–${to}`),
    el("ol", { class: "planned" }, ...visit.steps.map((step) => el("li", { "data-key": step.key },
      `${hospitalTime(step.start, timeZone)} ${stepName(step)}${step.room ? ` → ${step.room}` : ""}`))));
}

function form() { return $("booking-form"); }

function orderCodes() {
  return [...form().querySelectorAll("input[name=order]:checked")].map((box) => ({ code: box.value }));
}

/* "orders.1.code" names the second order ticked: say which one; "day" is the offer's. */
function describe(path) {
  if (path === "day") return "Day · 日期";
  const match = path.match(/^orders(?:\.(\d+))?/);
  if (!match) return path;
  const order = match[1] !== undefined ? orderCodes()[Number(match[1])] : null;
  return `Orders · 医嘱${order ? ` (${order.code} ${names.get(order.code) || ""})` : ""}`;
}

/* The offered days; `choose(day)` books or moves to the offer whose first visit is that day. */
function showOffers(answer, title, action, choose) {
  $("offers-title").textContent = title;
  $("pay-first").hidden = !answer.payment_first;
  $("pay-first").textContent = `Pay first: a booking is held ${answer.hold_minutes} min until paid · `
    + `需先缴费：预约保留${answer.hold_minutes}分钟，缴费后确认`;
  $("offer-list").replaceChildren(...answer.offers.map((offer) => {
    const day = offer.visits[0].day;
    const button = el("button", { type: "button", class: "big" }, `${action} (${day})`);
    button.onclick = () => choose(day);
    return el("li", { "data-day": day },
      ...offer.visits.map((visit, i) => visitBlock(visit, i, offer.visits.length, answer.timezone)), button);
  }));
  if (!answer.offers.length) $("offer-list").replaceChildren(el("li", {}, "No day fits · 无可约日期"));
  $("offers").hidden = false;
  $("offers").scrollIntoView({ block: "start" });
}

const STATUS = {
  booked: () => "Booked · 已预约",
  held: (b) => `Held until ${hospitalTime(b.hold_expires_at, b.timezone)}: confirmed once paid · `
    + `待缴费，保留至${hospitalTime(b.hold_expires_at, b.timezone)}`,
  cancelled: () => "Cancelled · 已取消",
  expired: () => "Not paid in time: the times went back · 未按时缴费，时段已释放",
  "no-show": () => "Window missed: rebook for a new day · 未按时到达，请改约",
  arrived: () => "Checked in · 已报到",
};

function showBooking(answer, note = "") {
  booking = answer;
  show("booking");
  $("booking-title").textContent = `Booking ${answer.visit_number} · 预约`;
  $("booking-status").textContent = [STATUS[answer.status](answer), note].filter(Boolean).join(" — ");
  $("booking-visits").replaceChildren(
    ...answer.visits.map((visit, i) => visitBlock(visit, i, answer.visits.length, answer.timezone)));
  $("booking-link").href = $("booking-link").textContent = answer.link;
  const open = ["held", "booked"].includes(answer.status);
  $("pay").hidden = answer.status !== "held";
  $("rebook").hidden = !(open || answer.status === "no-show");
  $("cancel").hidden = !open;
  $("phone-form").hidden = !(open || answer.status === "no-show");
  $("phone-form").reset();
  $("cancel-confirm").hidden = true;
  $("booking").querySelector(".error").textContent = "";
  $("booking").querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
}

const finder = bookingFinder({
  load: (query) => api(`/api/v1/bookings?${query}`, { token }),
  open: async (id) => {
    try {
      showBooking(await api(`/api/v1/bookings/${id}`, { token }));
      $("booking").scrollIntoView({ block: "start" });
    } catch (error) { if (!signedOut(error)) showProblem($("find"), error); }
  },
  status: (found, timezone) => STATUS[found.status]({ ...found, timezone }),
  failed: signedOut,
});

async function start() {
  if (!token) return show("login");
  const exams = await orderPicker($("orders"), $("order-filter"));
  exams.forEach((exam) => names.set(exam.code, `${exam.name_en} · ${exam.name_zh}`));
  show("booking-form");
  form().visit_number.focus();
}

function bookingBody() {
  const f = form();
  return {
    visit_number: f.visit_number.value.trim(),
    patient: { mrn: f.mrn.value.trim(), name: f.name.value.trim(), language: f.language.value, mobility: f.mobility.value },
    orders: orderCodes(),
  };
}

$("login").onsubmit = async (event) => {
  event.preventDefault();
  const f = event.target;
  try {
    await session.signIn(f.username.value, f.password.value);
    await start();
  } catch (error) { showProblem(f, error); }
};

form().onsubmit = async (event) => {
  event.preventDefault();
  const f = form();
  f.querySelector(".error").textContent = "";
  try {
    const answer = await api("/api/v1/booking-offers", { method: "POST", token, body: { orders: orderCodes() } });
    showOffers(answer, "Offered days · 可约日期", "Book this day · 预约此日", book);
  } catch (error) {
    $("offers").hidden = true;
    if (!signedOut(error)) showProblem(f, error, describe);
  }
};

async function book(day) {
  try {
    showBooking(await api("/api/v1/bookings", { method: "POST", token, body: { ...bookingBody(), day } }));
    finder.refresh();
  } catch (error) {
    if (signedOut(error)) return;
    $("offers").hidden = true;
    showProblem(form(), error, describe);
  }
}

/* An action on the booking shown; a 4xx stays on the booking with what went wrong. */
async function act(path, body, note) {
  try {
    showBooking(await api(`/api/v1/bookings/${booking.id}/${path}`, { method: "POST", token, body }), note);
    finder.refresh();
  } catch (error) { if (!signedOut(error)) showProblem($("booking"), error); }
}

$("pay").onclick = () => act("pay", undefined, "Paid · 已缴费");
$("cancel").onclick = () => { $("cancel-confirm").hidden = false; $("cancel-yes").focus(); };
$("cancel-no").onclick = () => { $("cancel-confirm").hidden = true; };
$("cancel-yes").onclick = () => act("cancel");
$("rebook").onclick = async () => {
  try {
    const answer = await api(`/api/v1/bookings/${booking.id}/offers`, { token });
    showOffers(answer, "Move to another day · 改约到", "Move to this day · 改到此日",
      (day) => act("rebook", { day }, "Moved · 已改约"));
  } catch (error) { if (!signedOut(error)) showProblem($("booking"), error); }
};
/* A patient booked without a number, or with a new one: the booking's SMS still to come reach
   it. The number is never shown back. */
$("phone-form").onsubmit = async (event) => {
  event.preventDefault();
  const phone = event.target.phone.value.trim();
  try {
    await api(`/api/v1/bookings/${booking.id}/phone`, { method: "PUT", token, body: { phone } });
    showBooking(booking, "Number saved for text messages · 短信手机号已保存");
  } catch (error) { if (!signedOut(error)) showProblem($("booking"), error); }
};
$("next-patient").onclick = () => {
  form().reset();
  form().querySelector(".error").textContent = "";
  booking = null;
  show("booking-form");
  form().visit_number.focus();
};
start();
