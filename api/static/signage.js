/* The waiting-room screen: ticket numbers and rooms only (never names, never exams). */
"use strict";
const $ = (id) => document.getElementById(id);
const { site, group } = $("signage").dataset; // not an inline script: the page's CSP allows none

async function refresh() {
  try {
    const board = await api(`/api/v1/signage/${encodeURIComponent(site)}/${encodeURIComponent(group)}`);
    $("calling").replaceChildren(...board.calling.map((t) =>
      el("li", { "data-ticket": t.ticket }, el("span", {}, t.ticket),
        el("span", {}, `${t.room} · ${t.desk} 号台 Desk ${t.desk}`))));
    $("next").replaceChildren(...board.next.map((t) => el("li", { "data-ticket": t.ticket }, `${t.ticket} → ${t.room}`)));
    $("paused").textContent = board.paused.length ? `暂停 · Paused: ${board.paused.join(", ")}` : "";
    $("clock").textContent = new Date().toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" });
  } catch (error) {
    $("paused").textContent = "…";
  }
}
refresh();
setInterval(refresh, 3000);
