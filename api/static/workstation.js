/* The doctor's workstation for one room: when a patient's QR is scanned at the door, their
   record appears (staff only: the read is audit-logged like every staff read of a journey). */
"use strict";
const $ = (id) => document.getElementById(id);
const KEY = "carepath-nurse"; // the nurse page's sign-in carries over
const { room } = $("workstation").dataset;
let token = null;
const session = staffSession(KEY, {
  onToken: (value) => { token = value; },
  onEnd: (why) => { show("login"); $("login-error").textContent = why; },
});

function show(id) { ["login", "desk"].forEach((x) => ($(x).hidden = x !== id)); }

async function showPatient(journeyId, ticket) {
  const journey = await api(`/api/v1/journeys/${journeyId}`, { token });
  $("patient-name").textContent = `${ticket} · ${journey.patient.name}`;
  $("patient-ids").textContent = `${journey.patient.mrn} · ${journey.visit_number}`;
  $("patient-steps").replaceChildren(...journey.tasks.map((task) =>
    el("li", { "data-status": task.status }, `${task.name_zh} · ${task.name_en} (${task.status})`)));
  $("patient").hidden = false;
  $("waiting-scan").hidden = true;
}

async function listen() {
  try {
    const { stream_url: url } = await api(`/api/v1/workstations/${encodeURIComponent(room)}/live-ticket`,
      { method: "POST", token });
    const source = new EventSource(url);
    source.addEventListener("door_scan", (event) => {
      const scan = JSON.parse(event.data);
      showPatient(scan.journey_id, scan.ticket).catch(() => {});
    });
    source.onerror = () => { source.close(); setTimeout(listen, 3000); };
    show("desk");
  } catch (error) {
    if (error.status === 401) { session.signOut(error.message); return; }
    setTimeout(listen, 5000);
  }
}

$("login").onsubmit = async (event) => {
  event.preventDefault();
  try {
    await session.signIn($("username").value, $("password").value);
    listen();
  } catch (error) {
    $("login-error").textContent = "登录失败 · Sign-in failed";
  }
};

if (token) listen(); else show("login");
