/* The screen beside a consulting room: the ticket called and its desk in large type, the next
   three, the call spoken in Chinese and English (said twice), and the door's QR scanner (a
   USB scanner types the patient's link and Enter). Never a name or an exam. */
"use strict";
const $ = (id) => document.getElementById(id);
const { site, room } = $("call").dataset;
const base = `/api/v1/call-screens/${encodeURIComponent(site)}/${encodeURIComponent(room)}`;
const announced = new Set();
let started = false;

function spokenCall(call) {
  return [
    { lang: "zh-CN", text: `请 ${call.ticket} 号到 ${call.desk} 号诊室` },
    { lang: "en-US", text: `Number ${call.ticket}, please go to room ${call.desk}` },
  ];
}

function speak(call) {
  if (!("speechSynthesis" in window)) return;
  const lines = spokenCall(call);
  for (const line of [...lines, ...lines]) { // the call, then once more
    const utterance = new SpeechSynthesisUtterance(line.text);
    utterance.lang = line.lang;
    utterance.rate = 0.9;
    window.speechSynthesis.speak(utterance);
  }
}

function render(screen) {
  const [latest] = screen.calling;
  const called = $("called");
  if (latest) {
    delete called.dataset.empty;
    called.replaceChildren(el("span", { id: "called-ticket" }, latest.ticket),
      el("span", { id: "called-desk" }, `${latest.desk} 号诊室 · Room ${latest.desk}`));
  } else {
    called.dataset.empty = "";
    called.textContent = screen.paused ? "暂停 · Paused" : "—";
  }
  $("next").replaceChildren(...screen.next.map((t) => el("li", {}, t.ticket)));
  $("clock").textContent = new Date().toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" });
  // Oldest first, so two calls made together are spoken in order; calls on screen when it
  // (re)starts are not spoken again.
  for (const call of [...screen.calling].reverse()) {
    const key = `${call.ticket}|${call.desk}|${call.called_at}|${call.recalls}`;
    if (!announced.has(key)) {
      announced.add(key);
      if (started) speak(call);
    }
  }
  started = true;
}

async function refresh() {
  try { render(await api(base)); } catch (error) { /* the stream or the next poll tries again */ }
}

async function listen() {
  // Unattended all day: the stream reconnects after errors and server restarts, catching up
  // with a fresh read each time it opens; a slow poll is the safety net.
  try {
    const { stream_url: url } = await api(`${base}/live-ticket`, { method: "POST" });
    const source = new EventSource(url);
    source.onopen = refresh;
    source.addEventListener("queue", refresh);
    source.onerror = () => { source.close(); setTimeout(listen, 3000); };
  } catch (error) {
    setTimeout(listen, 5000);
  }
}

$("scan-form").onsubmit = async (event) => {
  event.preventDefault();
  const code = $("scan").value.trim();
  $("scan").value = "";
  if (!code) return;
  try {
    const answer = await api(`${base}/scans`, { method: "POST", body: { code } });
    $("scanned").textContent = `✓ ${answer.ticket} 已报到 · Checked in`;
  } catch (error) {
    $("scanned").textContent = "请到护士站 · Please ask the nurse";
  }
  setTimeout(() => ($("scanned").textContent = ""), 8000);
};
// The scanner types wherever the focus is: keep it on the hidden field.
setInterval(() => document.activeElement !== $("scan") && $("scan").focus(), 1000);
$("scan").focus();

refresh().then(listen);
setInterval(refresh, 30000);
