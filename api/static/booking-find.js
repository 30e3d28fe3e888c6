/* The booking desk's "find a booking": a patient phones or comes by with their visit number, or
   reception reads a day's bookings (today's by default, the hospital's today, not this
   computer's). Rows come in the order of their arrival windows, each with its status; "Open"
   shows the booking in the desk's booking view (pay, rebook, cancel, phone). */
"use strict";

const PAGE_SIZE = 50;

/* `load(query)` reads GET /api/v1/bookings; `open(id)` shows one booking; `status(row, zone)`
   says a row's status in words; `failed(error)` is true once it has dealt with an error
   itself (signed out); any other is shown on the card, naming the field. */
function bookingFinder({ load, open, status, failed }) {
  const byId = (id) => document.getElementById(id);
  const card = byId("find");
  let last = null; // the query shown, for "More" and for reading it again after a change
  let shown = 0;

  function heading(answer, query) {
    const count = `${answer.total} found · 共${answer.total}条`;
    if (query.visit_number) return `Visit number · 就诊号 ${query.visit_number}: ${count}`;
    return `Bookings on ${bookingDay(answer.day, "en")} · ${bookingDay(answer.day, "zh")}`
      + ` (${answer.day}): ${count}`;
  }

  function row(found, answer) {
    const [from, to] = arrivalWindow(found, answer.timezone);
    const day = answer.day ? "" : `${found.day} · ${bookingDay(found.day, "en")} · ${bookingDay(found.day, "zh")} · `;
    const visit = found.visit_count > 1
      ? ` · Visit ${found.visit_index} of ${found.visit_count} · 第${found.visit_index}/${found.visit_count}次` : "";
    const button = el("button", { type: "button" }, `Open · 打开 (${found.visit_number})`);
    button.onclick = () => open(found.id);
    return el("li", { "data-id": found.id, "data-visit": found.visit_number },
      el("strong", {}, `${day}${from}–${to} · ${found.visit_number}`),
      el("div", { class: "facts" }, `${status(found, answer.timezone)}${visit}`),
      el("div", { class: "actions" }, button));
  }

  async function show(query, more = false) {
    card.querySelector(".error").textContent = "";
    const offset = more ? shown : 0;
    try {
      const answer = await load(new URLSearchParams({ ...query, limit: PAGE_SIZE, offset }));
      last = query;
      shown = offset + answer.bookings.length;
      if (answer.day) byId("find-day").value = answer.day;
      byId("found-title").textContent = heading(answer, query);
      const rows = answer.bookings.map((found) => row(found, answer));
      if (more) byId("found").append(...rows);
      else byId("found").replaceChildren(...rows);
      byId("found-more").hidden = shown >= answer.total;
    } catch (error) { if (!failed(error)) showProblem(card, error); }
  }

  byId("find-form").onsubmit = (event) => {
    event.preventDefault();
    show({ visit_number: event.target.visit_number.value.trim() });
  };
  byId("day-form").onsubmit = (event) => {
    event.preventDefault();
    show(byId("find-day").value ? { day: byId("find-day").value } : {});
  };
  byId("find-today").onclick = () => show({});
  byId("found-more").onclick = () => show(last, true);

  return {
    /* After a change to a booking: the list shown is read again, its statuses current. */
    refresh: () => (last ? show(last) : undefined),
    clear: () => {
      last = null;
      byId("found-title").textContent = "";
      byId("found").replaceChildren();
      byId("found-more").hidden = true;
    },
  };
}
