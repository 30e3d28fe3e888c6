/* What the reception desk's forms share: the catalog's exams to tick, and the API's 4xx in
   words, each field it names with its label on the form. */
"use strict";

/* The active catalog as checkboxes (code · English · Chinese) and a filter over them. */
async function orderPicker(list, filter) {
  const exams = await api("/api/v1/catalog/exams");
  list.replaceChildren(...exams.map((exam) => el("label", {},
    el("input", { type: "checkbox", name: "order", value: exam.code }), `${exam.code} · ${exam.name_en} · ${exam.name_zh}`)));
  filter.oninput = () => {
    const q = filter.value.toLowerCase();
    list.querySelectorAll("label").forEach((l) => (l.hidden = !l.textContent.toLowerCase().includes(q)));
  };
  return exams;
}

/* [["patient.mrn", "Missing data…"], ["orders.0.code", "…"]] from the problem body's errors. */
function fieldProblems(errors, path = "") {
  if (Array.isArray(errors)) {
    return [[path, errors.map((e) => (typeof e === "string" ? e : JSON.stringify(e))).join(", ")]];
  }
  if (!errors || typeof errors !== "object") return [];
  return Object.entries(errors).flatMap(([key, value]) => fieldProblems(value, path ? `${path}.${key}` : key));
}

/* The input a field path names on the form ("patient.mrn" is the input named "mrn"). */
function fieldInput(form, path) {
  const name = path.split(".").filter((part) => !/^\d+$/.test(part)).pop();
  return name ? form.querySelector(`[name="${name}"]`) : null;
}

/* The field's label as the receptionist reads it, without the input's own text. */
function fieldLabel(input, path) {
  const holder = input && (input.closest("label") || input.closest("fieldset")?.querySelector("legend"));
  const words = holder ? [...holder.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE || n.tagName === "LEGEND")
    .map((n) => n.textContent).join(" ").trim() : "";
  return words || path;
}

/* The message and every field named, e.g. "Visit number · 就诊号: visit V1 has already
   checked in"; the named inputs are marked invalid and the first one gets the focus. */
function showProblem(form, error, describe = (path) => path) {
  form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
  const named = Object.values(error.details || {}).flatMap((errors) => fieldProblems(errors));
  const lines = named.map(([path, problem]) => {
    const input = fieldInput(form, path);
    if (input) input.setAttribute("aria-invalid", "true");
    return `${fieldLabel(input, describe(path))}: ${problem}`;
  });
  if (!named.some(([, problem]) => problem.includes(error.message))) lines.unshift(error.message);
  form.querySelector(".error").textContent = lines.join(" — ");
  const first = form.querySelector("[aria-invalid]");
  if (first) first.focus();
}
