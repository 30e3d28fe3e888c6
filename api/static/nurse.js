/* The nurse's desk: pick a room, call the next ticket, act on each patient with big buttons.
   Every action sends the entry's version (If-Match): a stale screen is refreshed, never obeyed. */
"use strict";
const $ = (id) => document.getElementById(id);
const KEY = "carepath-nurse";
let token = null;
const session = staffSession(KEY, {
  onToken: (value) => { token = value; },
  onEnd: (why) => { $("who").textContent = ""; show("login"); $("login").querySelector(".error").textContent = why; },
});
let rooms = [];
let board = null;
let plan = [];
let asking = null;

const STATUS = {
  waiting: "Waiting · 候诊", skipped: "Skipped · 已过号", called: "Called · 已叫号", in_service: "In service · 检查中",
  on_hold: "On hold · 暂缓", no_show: "Not here · 未到", done: "Done · 完成",
};
const ACTIONS = {
  called: ["recall", "start", "complete", "skip", "no-show", "move"],
  in_service: ["complete"],
  waiting: ["start", "skip", "hold", "priority", "move"],
  skipped: ["start", "skip", "hold", "priority", "move"],
  on_hold: ["release", "move"],
  no_show: ["rejoin", "move"],
};
const LABEL = {
  recall: "Recall · 重呼", start: "Start · 开始", complete: "Done · 完成", skip: "Skip · 过号",
  "no-show": "Not here · 未到", move: "Move · 转诊室", hold: "Hold · 暂缓", release: "Back in line · 恢复排队",
  priority: "Priority · 优先级", rejoin: "Rejoin · 重新排队",
};
// What each action asks for before it is sent.
const ASK = {
  skip: ["reason", "places"], move: ["reason", "room"], hold: ["reason"], priority: ["reason", "priority"],
  "no-show": ["minutes"], pause: ["reason", "category", "minutes"],
};

function show(id) { ["login", "desk"].forEach((x) => ($(x).hidden = x !== id)); }
function say(text) { $("status").textContent = text; }
function room() { return rooms.find((r) => r.code === $("room").value); }

async function call(path, { method = "POST", body, version } = {}) {
  const headers = version === undefined ? {} : { "If-Match": `"${version}"` };
  try {
    return await api(path, { method, token, body: method === "POST" ? body || {} : undefined, headers });
  } catch (error) {
    if (error.status === 401) session.signOut(error.message);
    throw error;
  }
}

async function start() {
  if (!token) return show("login");
  rooms = await call("/api/v1/queues/rooms", { method: "GET" });
  $("room").replaceChildren(...rooms.map((r) => el("option", { value: r.code }, `${r.code} · ${r.name_en} · ${r.name_zh}`)));
  const saved = localStorage.getItem(KEY + "-room");
  if (saved && rooms.some((r) => r.code === saved)) $("room").value = saved;
  pickRoom();
  show("desk");
}

let stream = null;

async function listen() {
  // The board reloads the moment anything changes in this room's queue (another nurse,
  // a patient saying "I'm here"); the slow poll below is only a safety net.
  if (stream) stream.close();
  const picked = room();
  if (!picked) return;
  try {
    const { stream_url: url } = await call(`/api/v1/rooms/${picked.id}/live-ticket`);
    if (room() !== picked) return;  // another room was picked meanwhile: its own listen() runs
    stream = new EventSource(url);
    stream.addEventListener("queue", () => load());
    stream.onerror = () => { stream.close(); setTimeout(listen, 5000); };
  } catch (error) { setTimeout(listen, 30000); }
}

function pickRoom() {
  localStorage.setItem(KEY + "-room", $("room").value);
  listen();
  const stations = (room() || { stations: 1 }).stations;
  $("desk-no").replaceChildren(...Array.from({ length: stations }, (_, i) => el("option", { value: i + 1 }, `${i + 1}`)));
  load();
}

async function load() {
  const picked = room();
  if (!picked) return;
  try {
    const code = encodeURIComponent(picked.code);
    const [roomBoard, roomPlan] = await Promise.all([
      call(`/api/v1/queues/rooms/${code}`, { method: "GET" }),
      call(`/api/v1/queues/rooms/${code}/plan`, { method: "GET" }),
    ]);
    // an answer for a room the nurse has since left must not paint over the room now shown
    if (room() !== picked) return;
    [board, plan] = [roomBoard, roomPlan];
    render();
    renderPlan();
  } catch (error) { say(error.message); }
}

function render() {
  const paused = board.status === "paused";
  $("paused").hidden = !paused;
  $("paused").textContent = paused
    ? `Paused · 暂停: ${board.pause_reason} — until · 预计恢复 ${hhmm(board.paused_until)}` : "";
  $("pause").hidden = paused;
  $("resume").hidden = !paused;
  $("call-next").disabled = paused;
  $("undo").title = board.can_undo ? `Undo ${board.can_undo}` : "Nothing to undo";
  $("entries").replaceChildren(...board.entries.map((entry) => {
    const facts = [STATUS[entry.status] || entry.status];
    if (entry.desk) facts.push(`desk · ${entry.desk} 号台`);
    if (entry.people_ahead !== null) facts.push(`${entry.people_ahead} ahead · 前面 ${entry.people_ahead} 人`);
    if (entry.wait_minutes !== null) facts.push(`~${entry.wait_minutes} min · 约 ${entry.wait_minutes} 分钟`);
    if (entry.priority) facts.push(`priority · 优先 ${entry.priority}`);
    if (entry.not_seen) facts.push("not yet seen · 患者尚未查看叫号");
    const buttons = (ACTIONS[entry.status] || []).map((action) => {
      const button = el("button", { type: "button", "data-action": action }, LABEL[action]);
      button.onclick = () => act(entry, action);
      return button;
    });
    const item = el("li", { class: entry.not_seen ? `${entry.status} not-seen` : entry.status, "data-ticket": entry.ticket },
      el("span", { class: "ticket" }, entry.ticket),
      el("span", {}, `${entry.patient_name} · ${entry.exam_zh} `, el("span", { class: "facts" }, facts.join(" · "))),
      el("span", { class: "actions" }, ...buttons));
    return item;
  }));
}

/* Who the sequencer expects in this room, soonest first; a ticket once they are in line. */
/* Times as the hospital's clocks show them, whatever the computer's own zone. */
const hhmm = (iso) => new Date(iso).toLocaleTimeString("en-GB",
  { hour: "2-digit", minute: "2-digit", timeZone: (board && board.timezone) || undefined });

function renderPlan() {
  $("plan").replaceChildren(...plan.map((step) => el("li", { "data-task": step.task_id },
    el("span", { class: "when" }, `${hhmm(step.planned_start)}–${hhmm(step.planned_end)}`),
    `${step.ticket || step.visit_number} · ${step.patient_name} · ${step.exam_zh} · ${step.exam_en}`)));
}

function act(entry, action) {
  const needs = ASK[action];
  if (!needs) return send(entry, action, {});
  asking = { entry, action, needs };
  const form = $("ask");
  $("ask-title").textContent = `${LABEL[action]} — ${entry.ticket}`;
  showFields(needs);
  if (needs.includes("room")) {
    form.room.replaceChildren(...rooms.filter((r) => r.room_type === board.room_type && r.code !== board.room)
      .concat(rooms.filter((r) => r.room_type !== board.room_type))
      .map((r) => el("option", { value: r.code }, `${r.code} · ${r.name_zh}`)));
  }
  if (needs.includes("priority")) form.priority.value = String(Math.min(3, entry.priority + 1));
  openAsk(form, "OK · 确定");
}

/* A step whose prerequisites are not met: the nurse may still begin it, with a reason (audited). */
function askOverride(entry, action, message) {
  asking = { entry, action, needs: ["reason"], override: true };
  const form = $("ask");
  $("ask-title").textContent = `${entry.ticket}: ${message}`;
  showFields(["reason"]);
  openAsk(form, `${LABEL[action]} anyway · 仍然${LABEL[action].split(" · ")[1]}`);
}

function showFields(needs) {
  ["reason", "places", "minutes", "room", "priority", "category"].forEach((f) => ($(`ask-${f}-l`).hidden = !needs.includes(f)));
}

function openAsk(form, submit) {
  form.querySelector("button[type=submit]").textContent = submit;
  form.reason.value = "";
  form.hidden = false;
  const needs = asking.needs;
  (needs.includes("reason") ? form.reason : form.querySelector("button[type=submit]")).focus();
}

async function send(entry, action, body) {
  try {
    const result = await call(`/api/v1/queues/entries/${entry.id}/${action}`, { body, version: entry.version });
    say(result.message);
  } catch (error) {
    if (error.status === 409 && error.details?.json?.override_reason && !body.override_reason) {
      say(error.message);
      return askOverride(entry, action, error.message);
    }
    say(error.status === 409 && error.details ? `${error.message} — refreshed · 已刷新` : error.message);
  }
  await load();
}

$("ask").onsubmit = async (event) => {
  event.preventDefault();
  const form = event.target;
  const { entry, action, needs, override } = asking;
  const body = {};
  if (needs.includes("reason")) {
    if (!form.reason.value.trim()) { form.reason.focus(); return say("Please give a reason · 请填写原因"); }
    body[override ? "override_reason" : "reason"] = form.reason.value.trim();
  }
  if (needs.includes("places")) body.places = Number(form.places.value);
  if (needs.includes("room")) body.room = form.room.value;
  if (needs.includes("priority")) body.priority = Number(form.priority.value);
  if (needs.includes("category")) body.category = form.category.value;
  form.hidden = true;
  if (action === "pause") {
    body.minutes = Number(form.minutes.value);
    return roomAction("pause", body);
  }
  if (needs.includes("minutes")) body.grace_minutes = Number(form.minutes.value);
  await send(entry, action, body);
};
$("ask-cancel").onclick = () => { $("ask").hidden = true; };

async function roomAction(action, body) {
  try {
    const result = await call(`/api/v1/queues/rooms/${encodeURIComponent(room().code)}/${action}`, { body });
    say(result.message);
  } catch (error) {
    // a desk still holding a patient: the server asks first, and so do we
    if (error.status === 409 && error.details?.json?.confirm && !body.confirm && window.confirm(error.message)) {
      return roomAction(action, { ...body, confirm: true });
    }
    say(error.message);
  }
  await load();
}

$("call-next").onclick = () => roomAction("call-next", { desk: Number($("desk-no").value), from_service: $("shared").checked });
$("undo").onclick = () => roomAction("undo", {});
$("resume").onclick = () => roomAction("resume", {});
$("pause").onclick = () => act({ ticket: room().code, version: undefined }, "pause");
$("room").onchange = pickRoom;

$("login").onsubmit = async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    await session.signIn(form.username.value, form.password.value);
    $("who").textContent = form.username.value;
    await start();
  } catch (error) { form.querySelector(".error").textContent = error.message; }
};

start().catch((error) => say(error.message));
setInterval(() => { if (token && !$("desk").hidden && $("ask").hidden) load(); }, 30000);
