/* Reception desk: sign in, scan or type the visit number, tick the orders, print the QR link. */
"use strict";
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("carepath-staff");

function show(id) { ["login", "checkin", "result"].forEach((x) => ($(x).hidden = x !== id)); }

function showErrors(form, error) {
  const details = error.details && error.details.json ? Object.entries(error.details.json)
    .map(([field, problems]) => `${field}: ${[].concat(problems).map((p) => typeof p === "string" ? p : JSON.stringify(p)).join(", ")}`)
    : [];
  form.querySelector(".error").textContent = [error.message, ...details].join(" — ");
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
  const exams = await api("/api/v1/catalog/exams");
  $("orders").replaceChildren(...exams.map((exam) => el("label", {},
    el("input", { type: "checkbox", name: "order", value: exam.code }), `${exam.code} · ${exam.name_en} · ${exam.name_zh}`)));
  show("checkin");
}

$("login").onsubmit = async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    const data = await api("/api/v1/auth/login", { method: "POST",
      body: { username: form.username.value, password: form.password.value } });
    token = data.access_token;
    sessionStorage.setItem("carepath-staff", token);
    await start();
  } catch (error) { showErrors(form, error); }
};

$("order-filter").oninput = (event) => {
  const q = event.target.value.toLowerCase();
  $("orders").querySelectorAll("label").forEach((l) => (l.hidden = !l.textContent.toLowerCase().includes(q)));
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
    $("link").href = $("link").textContent = journey.access_url;
    const qr = await fetch(`/api/v1/journeys/${journey.id}/qr.svg`, { headers: { Authorization: `Bearer ${token}` } });
    $("qr").innerHTML = qr.ok ? await qr.text() : "";
    $("result-steps").replaceChildren(...journey.tasks.map((task) =>
      el("li", {}, `${task.name_en} · ${task.name_zh}${task.room ? ` → ${task.room.code}` : ""}`)));
    show("result");
  } catch (error) {
    if (error.status === 401) { sessionStorage.removeItem("carepath-staff"); token = null; return show("login"); }
    showErrors(form, error);
  }
};

$("again").onclick = () => { $("checkin").reset(); show("checkin"); $("checkin").visit_number.focus(); };
start();
