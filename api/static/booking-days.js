/* How a booked day and its arrival window read, on the desk and on the patient's phone:
   "Thu 26 Nov" / "11月26日 星期四", times as HH:MM in the hospital's zone. */
"use strict";

function bookingDay(day, lang) {
  const at = new Date(`${day}T12:00:00Z`); // a calendar day: noon UTC is that day everywhere we format it
  const parts = lang === "en" ? { weekday: "short", day: "numeric", month: "short" }
    : { weekday: "long", day: "numeric", month: "long" };
  return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", { ...parts, timeZone: "UTC" }).format(at);
}

function arrivalWindow(visit, timeZone) {
  return [hospitalTime(visit.window_start, timeZone), hospitalTime(visit.window_end, timeZone)];
}
