/* The department head's day: figures and charts from the API, refreshed every 30 seconds. */
"use strict";
const $ = (id) => document.getElementById(id);
const KEY = "carepath-dashboard";
let token = sessionStorage.getItem(KEY);
let site = sessionStorage.getItem(KEY + "-site");
const STATE = { busy: "Busy · 检查中", idle: "Idle · 空闲", paused: "Paused · 暂停", closed: "Closed · 关闭" };

function show(id) { ["login", "day"].forEach((x) => ($(x).hidden = x !== id)); }

async function call(path) {
  try {
    return await api(path, { token });
  } catch (error) {
    if (error.status === 401) { sessionStorage.removeItem(KEY); token = null; show("login"); }
    throw error;
  }
}

async function start() {
  if (!token) return show("login");
  if (!site) {  // a regional admin picks among every site's figures
    const region = await call("/api/v1/kpis");
    $("site").replaceChildren(...region.sites.map((s) => el("option", { value: s.site }, s.site)));
    $("site-l").hidden = false;
    site = region.sites[0].site;
  }
  show("day");
  await load();
}

async function load() {
  const asked = site;
  const day = await call(`/api/v1/sites/${encodeURIComponent(asked)}/dashboard`);
  if (asked !== site) return;  // the admin picked another site while this one's figures came
  const f = day.figures;
  $("title").textContent = `${day.site} · ${day.date} · Today · 今日概况`;
  $("in-building").textContent = day.in_building;
  $("waiting-now").textContent = Object.values(day.waiting_by_department).reduce((a, b) => a + b, 0);
  $("mean-wait").textContent = f.mean_queue_wait_min;
  $("p90-wait").textContent = f.p90_queue_wait_min;
  $("rooms-busy").textContent = `${day.rooms_busy} / ${day.rooms_idle}`;
  $("no-shows").textContent = f.no_shows;
  $("not-done-n").textContent = f.steps_not_done;
  $("patients").textContent = f.patients;
  $("chart-waiting").src = day.charts.waiting;
  $("chart-queue").src = day.charts.queue_length;
  $("chart-gantt").src = day.charts.gantt;
  $("not-done").replaceChildren(...day.not_done.map((s) =>
    el("tr", {}, el("td", {}, s.step), el("td", {}, s.room || "–"), el("td", {}, s.reason))));
  $("rooms").replaceChildren(...day.rooms.map((r) =>
    el("tr", {}, el("td", {}, r.room), el("td", {}, r.department),
      el("td", { class: r.state }, STATE[r.state] || r.state), el("td", {}, String(r.waiting)))));
  $("updated").textContent = `Updated · 更新于 ${hospitalTime(day.now, day.timezone)}`;
}

$("site").onchange = () => { site = $("site").value; load(); };

$("login").onsubmit = async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    const data = await api("/api/v1/auth/login", { method: "POST",
      body: { username: form.username.value, password: form.password.value } });
    token = data.access_token;
    site = data.site;
    sessionStorage.setItem(KEY, token);
    if (site) sessionStorage.setItem(KEY + "-site", site);
    $("who").textContent = form.username.value;
    await start();
  } catch (error) { form.querySelector(".error").textContent = error.message; }
};

start().catch((error) => ($("updated").textContent = error.message));
setInterval(() => { if (token && !$("day").hidden) load().catch((e) => ($("updated").textContent = e.message)); }, 30000);
