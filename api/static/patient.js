/* The patient's phone page: the next step in large type, in Chinese or English.
   The page is the source of truth; push only tells the phone to look again. */
"use strict";
const TEXT = {
  zh: {
    next: "下一步", all: "全部步骤", where: "地点", notBefore: "请在 {t} 之后进行", fasting: "此项检查前请勿进食（可少量饮水）",
    bladder: "请憋尿，检查前不要排尿", here: "我已到达", arrived: "已报到，请等候叫号", finished: "全部完成，祝您健康！",
    notToday: "今天无法安排此项，请咨询护士站。", planned: "预计 {t}",
    startsAt: "前面还有 {p} 人，{t} 开始", held: "护士请您稍候，请留在附近，轮到您时会再叫号。",
    skipped: "您的顺序稍有后移，请在附近等候叫号。", missed: "您错过了叫号。请在 {t} 前回到 {r} 室并点击“我已到达”，保留原来的位置。",
    changed: "您的安排有变化，请按上方的号码和地点前往。", notYet: "现在还不能进行此步骤。", notYetAt: "此步骤 {t} 才能开始，请届时再来。",
    fastQ: "部分检查需要空腹。昨晚以来您吃过东西吗？", fastYes: "没有，我一直空腹", fastNo: "我吃过东西了",
    mealWhen: "您最后一次吃东西是几点？", send: "提交",
    walk: "步行约 {m} 分钟 · 点击查看路线", noRoute: "无法为您规划路线：",
    ticket: "您的号码 {n}", ahead: "前面还有 {p} 人，约 {m} 分钟", called: "请到 {r} 室 {d} 号台", calledNoDesk: "请到 {r} 室就诊",
    loading: "正在加载…", offline: "网络连接中断，正在重试…", notFound: "链接无效，请到服务台咨询",
    done: { payment: "我已缴费", meal: "我已进食", water: "我已喝完水", report: "我已取报告" },
    status: { requested: "待进行", ready: "可进行", "in-progress": "进行中", "on-hold": "暂停",
              completed: "已完成", cancelled: "已取消", failed: "未完成" },
    floor: "层", other: "English", doctor: "医生嘱咐：",
    comeBack: "今天已无法进行检查。请明天 {t} 前再来。",
    comeBackFasting: "今天已无法进行检查。请明天 {t} 前空腹再来（今晚 22:00 后请勿进食，可少量饮水）。",
    why: { maintenance: "该诊室正在维护，暂停服务。", cleaning: "该诊室正在清洁，暂停服务。", equipment: "该诊室设备故障，暂停服务。",
           staff: "该诊室暂时没有医护人员，暂停服务。", emergency: "该诊室正在处理急诊，暂停服务。", other: "该诊室暂停服务。" },
    plan: { fasting_answer: "请先回答上方关于进食的问题，再安排此项。", fasting: "今天关门前您的空腹时间不够，此项今天无法进行，请咨询护士站。",
            closed: "今天已没有可进行此项的诊室开放，请咨询护士站。", full: "今天此项已没有空闲时间，请咨询护士站。",
            depends: "此项所需的前一步今天无法进行，请咨询护士站。", orders: "您的检查单需要核对，请咨询护士站。" },
  },
  en: {
    next: "Your next step", all: "All steps", where: "Where", notBefore: "Not before {t}",
    fasting: "Do not eat before this step (sips of water are fine)", bladder: "Keep your bladder full: do not use the toilet",
    here: "I'm here", arrived: "Checked in: please wait to be called", finished: "All done. Take care!",
    notToday: "This step cannot be done today; please ask a nurse.", planned: "Planned for {t}",
    startsAt: "{p} people ahead, can start at {t}", held: "The nurse has asked you to wait a little: stay nearby, you will be called.",
    skipped: "Your place was moved back a little: please wait nearby to be called.", missed: "You missed your call. Go back to room {r} before {t} and tap I'm here to keep your place.",
    changed: "Your plan has changed: go by the number and place above.", notYet: "This step cannot begin yet.", notYetAt: "This step can begin at {t}: please come back then.",
    fastQ: "Some tests need an empty stomach. Have you eaten anything since last night?",
    fastYes: "No, nothing since last night", fastNo: "Yes, I have eaten",
    mealWhen: "What time did you last eat?", send: "Send",
    walk: "About {m} min walk · tap for directions", noRoute: "No route for you: ",
    ticket: "Your number {n}", ahead: "{p} people ahead, about {m} min", called: "Please go to room {r}, desk {d}", calledNoDesk: "Please go to room {r}",
    loading: "Loading…", offline: "Connection lost, retrying…", notFound: "This link is not valid. Please ask at reception.",
    done: { payment: "I have paid", meal: "I have eaten", water: "I have drunk the water", report: "I have my reports" },
    status: { requested: "Waiting", ready: "Ready", "in-progress": "In progress", "on-hold": "Paused",
              completed: "Done", cancelled: "Cancelled", failed: "Not done" },
    floor: "Floor", other: "中文", doctor: "Your doctor says: ",
    comeBack: "No exams can be done today. Please come back tomorrow before {t}.",
    comeBackFasting: "No exams can be done today. Please come back tomorrow before {t} without eating (nothing after 22:00 tonight; sips of water are fine).",
    why: { maintenance: "The room is closed for maintenance.", cleaning: "The room is closed for cleaning.",
           equipment: "The room's equipment is out of order.", staff: "The room has no staff free at the moment.",
           emergency: "The room is taken by an emergency.", other: "The room is closed for a while." },
    plan: { fasting_answer: "Please answer the question about eating above first.",
            fasting: "Your fast would not be long enough before the rooms close today; please ask a nurse.",
            closed: "No room for this step is open long enough today; please ask a nurse.",
            full: "There is no free time for this step today; please ask a nurse.",
            depends: "A step this one needs cannot be done today; please ask a nurse.",
            orders: "Your orders need checking; please ask a nurse." },
  },
};
const token = decodeURIComponent(location.pathname.split("/").pop());
const journeyId = (token.match(/^pt_(\d+)_/) || [])[1];
let lang = localStorage.getItem("carepath-lang");
let journey = null;
let tickets = [];

const $ = (id) => document.getElementById(id);
const t = () => TEXT[lang || "zh"];

function name(task) { return lang === "en" ? task.name_en : task.name_zh; }
function time(iso) {
  return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN",
    { hour: "2-digit", minute: "2-digit", timeZone: journey.timezone }).format(new Date(iso));
}
function place(room) {
  if (!room) return "";
  const building = lang === "en" ? room.building_name_en : room.building_name_zh;
  const floor = lang === "en" ? `${t().floor} ${room.floor_ordinal}` : `${room.floor_ordinal}${t().floor}`;
  return `${building} ${floor} · ${room.code} ${lang === "en" ? room.name_en : room.name_zh}`;
}

/* The page's language, and the button that names the other language in that language. */
function showLanguage() {
  document.documentElement.lang = lang || "zh";
  $("lang").textContent = t().other;
  $("lang").lang = lang === "en" ? "zh" : "en";
}

function render() {
  showLanguage();
  $("list-title").textContent = t().all;
  $("list-title").hidden = false;
  renderFastingQuestion();
  const next = journey.tasks.find((task) => task.id === journey.next_step_id);
  const back = journey.come_back;
  $("finished").hidden = journey.status !== "completed" && !back;
  $("finished-text").textContent = back
    ? (back.fasting ? t().comeBackFasting : t().comeBack).replace("{t}", back.at)
    : t().finished;
  $("next").hidden = !next;
  if (next) renderNext(next);
  $("steps").replaceChildren(...journey.tasks.map((task) => {
    const when = task.planned_start && task.status !== "completed" ? ` · ${time(task.planned_start)}` : "";
    const item = el("li", { class: `${task.status}${next && task.id === next.id ? " current" : ""}` },
      `${name(task)} — ${t().status[task.status]}${when}`);
    item.dataset.key = task.key;
    return item;
  }));
}

function renderTicket(ticket) {
  const box = $("next-ticket");
  box.hidden = !ticket;
  if (!ticket) return;
  let line = "";
  if (ticket.status === "called") {
    line = (ticket.desk ? t().called : t().calledNoDesk).replace("{r}", ticket.room).replace("{d}", ticket.desk);
  } else if (ticket.people_ahead !== null && ticket.people_ahead !== undefined) {
    line = ticket.starts_at
      ? t().startsAt.replace("{p}", ticket.people_ahead).replace("{t}", time(ticket.starts_at))
      : t().ahead.replace("{p}", ticket.people_ahead).replace("{m}", ticket.wait_minutes ?? "?");
  }
  box.replaceChildren(t().ticket.replace("{n}", ticket.ticket), el("span", { class: "line" }, line));
}

function renderNext(task) {
  $("next-label").textContent = t().next;
  $("next-name").textContent = name(task);
  $("next-where").textContent = task.room ? `${t().where}: ${place(task.room)}` : "";
  $("next-when").textContent = task.not_before && new Date(task.not_before) > new Date()
    ? t().notBefore.replace("{t}", time(task.not_before))
    : task.planned_start ? t().planned.replace("{t}", time(task.planned_start)) : "";
  const notes = [];
  if (task.fasting_hours > 0) notes.push(t().fasting);
  if (task.full_bladder) notes.push(t().bladder);
  if (task.business_status === "arrived") notes.push(t().arrived);
  if (task.plan_category) notes.push(t().plan[task.plan_category] || t().notToday);
  const ticket = tickets.find((x) => x.task_id === task.id);
  // what happened in line, in the patient's words: never a nurse's free text
  if (ticket && ticket.status === "on_hold") notes.push(t().held);
  else if (ticket && ticket.status === "skipped") notes.push(t().skipped);
  else if (ticket && ticket.status === "no_show") {
    notes.push(t().missed.replace("{r}", ticket.room).replace("{t}", ticket.grace_until ? time(ticket.grace_until) : "—"));
  } else if (task.status_category) notes.push(`${t().why[task.status_category] || t().why.other} ${t().changed}`);
  else if (task.status_reason_given) notes.push(t().changed);
  renderTicket(ticket);
  $("next-note").textContent = notes.join(" ");
  // the ordering doctor's own words about this step, as written
  $("next-instruction").hidden = !task.instructions.length;
  $("next-instruction").textContent = task.instructions.length ? `${t().doctor}${task.instructions.join(" ")}` : "";
  renderRoute(journey.next_route && journey.next_route.task_id === task.id ? journey.next_route : null);
  const done = $("next-done"), here = $("next-here");
  done.hidden = !(task.self_service && task.status === "ready");
  done.textContent = t().done[task.kind] || "OK";
  done.onclick = () => act(task, "complete");
  here.hidden = task.self_service || task.status !== "ready"
    || ["arrived", "called", "in-service", "on-hold"].includes(task.business_status);
  here.textContent = t().here;
  here.onclick = () => act(task, "arrive");
}

let askMealTime = false;

function renderFastingQuestion() {
  // Asked while the day waits on it (the server says so): the answer decides the plan.
  $("fasting").hidden = journey.pending_question !== "fasting";
  $("fasting-question").textContent = askMealTime ? t().mealWhen : t().fastQ;
  $("fasting-yes").textContent = t().fastYes;
  $("fasting-no").textContent = t().fastNo;
  $("fasting-yes").hidden = $("fasting-no").hidden = askMealTime;
  $("fasting-when").hidden = !askMealTime;
  $("fasting-when-label").textContent = t().mealWhen;
  $("fasting-send").textContent = t().send;
}

async function answerFasting(body) {
  try {
    journey = await api(`/api/v1/journeys/${journeyId}/fasting`, { method: "POST", token, body });
    askMealTime = false;
    render();
  } catch (error) { $("status").textContent = error.message; }
}

/* A time later than now can only mean yesterday evening. */
function lastMealAt(hhmm) {
  const [h, m] = hhmm.split(":").map(Number);
  const at = new Date();
  at.setHours(h, m, 0, 0);
  if (at > new Date()) at.setDate(at.getDate() - 1);
  return at.toISOString();
}

$("fasting-yes").onclick = () => answerFasting({});
$("fasting-no").onclick = () => {
  askMealTime = true;
  const now = new Date();
  $("fasting-time").value = `${String(now.getHours()).padStart(2, "0")}:${String(now.getMinutes()).padStart(2, "0")}`;
  render();
};
$("fasting-send").onclick = () => {
  if ($("fasting-time").value) answerFasting({ last_meal_at: lastMealAt($("fasting-time").value) });
};

function renderRoute(route) {
  $("route").hidden = !route;
  if (!route) return;
  if (!route.available) {
    $("route-summary").textContent = t().noRoute + (lang === "en" ? route.reason_en : route.reason_zh);
    $("route-steps").replaceChildren();
    $("route-maps").replaceChildren();
    return;
  }
  $("route-summary").textContent = t().walk.replace("{m}", Math.max(1, Math.round(route.seconds / 60)));
  $("route-steps").replaceChildren(...route.steps.map((s) => el("li", {}, lang === "en" ? s.text_en : s.text_zh)));
  // one plan per floor, in route order; its text alternative names the floor
  const floors = [...new Map(route.legs.map((leg) => [`${leg.building}/${leg.floor}`, leg])).values()];
  const query = new URLSearchParams({ from: route.origin, to: route.destination, profile: route.profile, lang });
  $("route-maps").replaceChildren(...floors.map((leg, i) =>
    el("img", {
      src: `/api/v1/sites/${journey.site}/route.svg?${query}&floor_index=${i}`,
      alt: lang === "en" ? leg.floor_title_en : leg.floor_title_zh,
      class: "floor-map",
    })));
}

async function act(task, action) {
  try {
    await api(`/api/v1/journeys/${journeyId}/tasks/${task.id}/${action}`, { method: "POST", token });
    await load();
  } catch (error) {
    // the server's words are for staff: the patient reads what to do, in their language
    await load();
    const fresh = journey.tasks.find((x) => x.id === task.id) || task;
    $("status").textContent = error.status === 409 && fresh.not_before
      ? t().notYetAt.replace("{t}", time(fresh.not_before))
      : error.status === 409 ? t().notYet : t().offline;
  }
}

async function load() {
  try {
    [journey, tickets] = await Promise.all([
      apiKept(`/api/v1/journeys/${journeyId}`, { token }),
      apiKept(`/api/v1/queues/journeys/${journeyId}`, { token }),
    ]);
    lang = lang || journey.patient.language;
    $("status").textContent = "";
    render();
  } catch (error) {
    const invalid = [401, 404, 410].includes(error.status); // forged, or ended: ask at the desk
    $("status").textContent = invalid ? "" : t().offline;
    $("invalid").hidden = !invalid;
    renderInvalid();
  }
}

/* A forged or revoked link: say so, as the page's heading, in the chosen language. */
function renderInvalid() {
  showLanguage();
  $("invalid-text").textContent = t().notFound;
}

$("lang").onclick = () => {
  lang = lang === "en" ? "zh" : "en";
  localStorage.setItem("carepath-lang", lang);
  if (journey) render();
  else if (!$("invalid").hidden) renderInvalid();
};
async function listen() {
  // Live updates: the page reloads its journey the moment anything changes. A slow poll
  // stays as a safety net; the page never depends on push notifications.
  try {
    const { stream_url: url } = await api(`/api/v1/journeys/${journeyId}/live-ticket`, { method: "POST", token });
    const source = new EventSource(url);
    source.addEventListener("journey", () => load());
    source.onerror = () => { source.close(); setTimeout(listen, 5000); };
  } catch (error) {
    setTimeout(listen, 30000);
  }
}

$("status").textContent = TEXT.zh.loading;
load().then(listen);
setInterval(load, 60000);
document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && load());
