/* Reception desk: sign in, scan or type the visit number, tick the orders, print the slip;
   find today's patients, reprint a slip, cancel a step or close a visit with a reason. */
"use strict";
const $ = (id) => document.getElementById(id);
let token = null;
const session = staffSession("carepath-staff", {
  onToken: (value) => { token = value; },
  onEnd: (why) => { show("login"); $("login").querySelector(".error").textContent = why; },
});

function show(id) {
  ["login", "checkin", "result"].forEach((x) => ($(x).hidden = x !== id));
  $("find").hidden = id === "login";
}

const EVENTS = {
  journey_started: "Journey started · 就诊开始", next_step: "Next step · 下一步", may_eat: "May eat · 可以进食",
  report_ready: "Reports ready · 报告已出", journey_complete: "All done · 全部完成", turn_soon: "Turn soon · 即将轮到",
  turn_now: "Called now · 正在叫号", plan_changed: "Plan changed · 安排有变",
};

/* Messages a phone never got, newest first: the desk tells those patients in person. */
async function loadUndelivered() {
  if (!token) return;
  try {
    const missed = await api("/api/v1/undelivered", { token });
    $("undelivered").hidden = missed.length === 0;
    $("undelivered-list").replaceChildren(...missed.map((m) => el("li", { "data-visit": m.visit_number },
      `${new Date(m.created_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })} · `
      + `${m.visit_number} · ${m.patient_name} · ${EVENTS[m.event] || m.event}`)));
  } catch (error) { /* the check-in form matters more: try again on the next round */ }
}
setInterval(loadUndelivered, 60000);

async function start() {
  if (!token) return show("login");
  loadUndelivered();
  await orderPicker($("orders"), $("order-filter"));
  show("checkin");
}

function signedOut(error) {
  if (error.status !== 401) return false;
  session.signOut(error.message);
  return true;
}

/* The slip: name, visit number, first step and its time (hospital time), the QR code. */
async function showSlip(journey) {
  $("slip-note").textContent = "";
  $("result-notes").replaceChildren();
  const first = journey.tasks.find((task) => task.id === journey.next_step_id);
  $("slip-name").textContent = journey.patient.name;
  $("slip-visit").textContent = `就诊号 Visit ${journey.visit_number}`;
  $("slip-first").textContent = first
    ? `第一步 First step: ${first.name_zh} · ${first.name_en}${first.room ? ` → ${first.room.code}` : ""}`
      + (first.planned_start ? ` · ${hospitalTime(first.planned_start, journey.timezone)}` : "")
    : "";
  $("link").href = $("link").textContent = journey.access_url;
  const qr = await fetch(`/api/v1/journeys/${journey.id}/qr.svg`, { headers: { Authorization: `Bearer ${token}` } });
  $("qr").innerHTML = qr.ok ? await qr.text() : "";
  const svg = $("qr").querySelector("svg");
  if (svg) { svg.setAttribute("role", "img"); svg.setAttribute("aria-label", "QR code of the patient's link · 患者链接二维码"); }
  $("result-steps").replaceChildren(...journey.tasks.map((task) =>
    el("li", {}, `${task.name_en} · ${task.name_zh}${task.room ? ` → ${task.room.code}` : ""}`)));
  show("result");
}

/* A lost phone: a new link on a new slip; the old link answers "go to the desk" from now on. */
async function newLink(journeyId) {
  try {
    await showSlip(await api(`/api/v1/journeys/${journeyId}/link`, { method: "POST", token }));
    $("slip-note").textContent = "New link: the old one no longer opens · 已换发新链接，旧链接已失效";
  } catch (error) { if (!signedOut(error)) $("find-status").textContent = error.message; }
}

async function reprint(journeyId) {
  try {
    await showSlip(await api(`/api/v1/journeys/${journeyId}`, { token }));
  } catch (error) { if (!signedOut(error)) $("find-status").textContent = error.message; }
}

$("login").onsubmit = async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    await session.signIn(form.username.value, form.password.value);
    await start();
  } catch (error) { showProblem(form, error); }
};

$("checkin").onsubmit = async (event) => {
  event.preventDefault();
  const form = event.target;
  const lastMeal = form.last_meal_at.value ? new Date(form.last_meal_at.value).toISOString() : undefined;
  const body = {
    visit_number: form.visit_number.value.trim(),
    patient: { mrn: form.mrn.value.trim(), name: form.name.value.trim(), language: form.language.value,
               mobility: form.mobility.value, fasting_confirmed: form.fasting_confirmed.checked,
               ...(lastMeal ? { last_meal_at: lastMeal } : {}) },
    orders: [...form.querySelectorAll("input[name=order]:checked")].map((box) => ({ code: box.value })),
  };
  try {
    // One key per form submission: a double click or a retry after a timeout makes one journey.
    form.dataset.key = form.dataset.key || crypto.randomUUID();
    const journey = await api("/api/v1/journeys", { method: "POST", token, body,
      headers: { "Idempotency-Key": form.dataset.key } });
    delete form.dataset.key;
    await showSlip(journey);
  } catch (error) {
    if (signedOut(error)) return;
    showProblem(form, error);
    const existing = error.status === 409 && error.body && error.body.journey;
    $("reprint-existing").hidden = !existing;
    if (existing) $("reprint-existing").onclick = () => reprint(existing.id);
  }
};

/* The visit number alone: the orders come from the hospital's system; if it does not answer,
   the message says so and the form below stays for a check-in by hand. */
$("fetch-orders").onclick = async () => {
  const form = $("checkin");
  const visit = form.visit_number.value.trim();
  if (!visit) return form.visit_number.focus();
  form.querySelector(".error").textContent = "";
  try {
    const answer = await api("/api/v1/journeys/from-hospital", { method: "POST", token, body: { visit_number: visit } });
    await showSlip(answer.journey);
    $("result-notes").replaceChildren(...answer.orders.filter((o) => o.status === "refused")
      .map((o) => el("li", {}, `Not taken in · 未导入: ${o.message}`)));
  } catch (error) { if (!signedOut(error)) showProblem(form, error); }
};

$("again").onclick = () => {
  $("checkin").reset();
  $("reprint-existing").hidden = true;
  $("checkin").querySelector(".error").textContent = "";
  show("checkin");
  $("checkin").visit_number.focus();
};
$("print").onclick = () => window.print();

const STATES = {
  waiting: "Waiting · 候诊中", called: "Called · 已叫号", in_service: "In the room · 检查中", no_show: "Not here · 过号",
  skipped: "Waiting · 候诊中", on_hold: "On hold · 暂缓", active: "Active · 进行中", completed: "Finished · 已完成",
  cancelled: "Closed · 已结束",
};

function stepFacts(found) {
  const step = found.current_step;
  if (!step) return STATES[found.status] || found.status;
  const where = step.room ? ` → ${step.room}` : "";
  const state = step.ticket ? `${step.ticket} · ${STATES[step.queue_status] || step.queue_status}`
    : (step.business_status || step.status);
  return `${step.name_zh} · ${step.name_en}${where} · ${state}`;
}

/* Today's patients matching the search, each with where they are and what staff can do.
   Only the latest search paints: an earlier one answering late must not put another patient's
   "Close visit" button under the receptionist's hand. */
let searches = 0;
async function find() {
  const asked = ++searches;
  const form = $("find-form");
  const value = form.value.value.trim();
  const query = value ? `?${new URLSearchParams({ [form.by.value]: value })}` : "";
  try {
    const found = await api(`/api/v1/journeys${query}`, { token });
    if (asked !== searches) return;
    $("find-status").textContent = found.length ? "" : "No one found today · 今日无匹配患者";
    $("found").replaceChildren(...found.map((j) => {
      const actions = el("div", { class: "actions" });
      const button = (label, onclick) => { const b = el("button", { type: "button" }, label); b.onclick = onclick; actions.append(b); };
      button(`Reprint slip · 补打凭条 (${j.visit_number})`, () => reprint(j.id));
      if (j.status === "active") button(`New link, lost phone · 换发新链接 (${j.visit_number})`, () => newLink(j.id));
      if (j.status === "active" && j.current_step) {
        button(`Cancel step · 取消此步 (${j.current_step.name_en})`,
          () => askReason(`Cancel “${j.current_step.name_zh} · ${j.current_step.name_en}” for ${j.patient.name}`,
            `/api/v1/journeys/${j.id}/tasks/${j.current_step.id}/cancel`));
      }
      if (j.status === "active") {
        button(`Close visit · 结束就诊 (${j.visit_number})`,
          () => askReason(`Close the visit of ${j.patient.name} (${j.visit_number})`, `/api/v1/journeys/${j.id}/close`));
      }
      return el("li", { "data-visit": j.visit_number },
        el("strong", {}, `${j.visit_number} · ${j.patient.name} · ${j.patient.mrn}`),
        el("div", { class: "facts" }, stepFacts(j)), actions);
    }));
  } catch (error) { if (asked === searches && !signedOut(error)) $("find-status").textContent = error.message; }
}

$("find-form").onsubmit = (event) => { event.preventDefault(); find(); };

function askReason(title, path) {
  const form = $("reason-form");
  form.reset();
  $("reason-title").textContent = title;
  form.dataset.path = path;
  form.hidden = false;
  form.reason.focus();
}

$("reason-cancel").onclick = () => { $("reason-form").hidden = true; };
$("reason-form").onsubmit = async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    await api(form.dataset.path, { method: "POST", token, body: { reason: form.reason.value.trim() } });
    form.hidden = true;
    await find();
    $("find-status").textContent = "Done · 已完成";
  } catch (error) { if (!signedOut(error)) $("find-status").textContent = error.message; }
};
start();
