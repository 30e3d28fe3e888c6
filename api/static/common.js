/* Small helpers shared by the pages: JSON calls with the API's error shape. */
"use strict";
async function api(path, { method = "GET", token, body, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return answer(await fetch(path, init));
}

async function answer(response) {
  // a 204 says application/json but has no body to parse
  const json = response.status !== 204 && response.headers.get("Content-Type")?.includes("json");
  const data = json ? await response.json() : null;
  if (!response.ok) {
    const error = new Error((data && data.message) || response.statusText);
    error.status = response.status;
    error.details = data && data.errors;
    error.body = data;
    throw error;
  }
  return data;
}

/* Reads the page repeats (a patient's journey, their place in line). Patient answers are
   `no-store`, so the browser keeps nothing: the page keeps the last answer and its ETag, sends
   If-None-Match, and an unchanged answer comes back as an empty 304. */
const kept = new Map();
async function apiKept(path, { token } = {}) {
  const last = kept.get(path);
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (last) headers["If-None-Match"] = last.etag;
  const response = await fetch(path, { headers });
  if (response.status === 304 && last) return last.data;
  const data = await answer(response);
  const etag = response.headers.get("ETag");
  if (etag) kept.set(path, { etag, data });
  return data;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs).forEach(([k, v]) => (k === "class" ? (node.className = v) : node.setAttribute(k, v)));
  children.forEach((c) => node.append(c));
  return node;
}

/* "08:35" in the hospital's time zone (not the device's, not UTC). */
function hospitalTime(iso, timeZone) {
  return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone })
    .format(new Date(iso));
}
