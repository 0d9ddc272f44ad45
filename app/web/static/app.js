// atspark's pages are thin clients of the JSON API: a form with data-api sends its fields as
// JSON to that URL (with the page's CSRF token), then does what its data-then names.
"use strict";

const FLASH = "atspark.flash";

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

function problemText(problem, response) {
  if (!problem) return `${response.status} ${response.statusText}`;
  const fields = (problem.errors || []).map((e) => `${e.loc.slice(1).join(".")}: ${e.msg}`);
  return [problem.detail, ...fields].join(" · ");
}

async function api(method, url, body) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: method === "GET" || method === "DELETE" ? undefined : JSON.stringify(body),
  });
  const answer = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401 && csrfToken()) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
  }
  if (!response.ok) throw new Error(problemText(answer, response));
  return answer;
}

// A form's fields as the API's JSON: checkboxes make lists, data-kind="list" splits on commas,
// data-kind="attributes" reads key=value lines, number inputs give numbers.
function formBody(form) {
  const body = {};
  for (const field of form.elements) {
    if (!field.name || field.disabled) continue;
    const value = field.type === "password" ? field.value : field.value.trim();
    if (value === "" && "optional" in field.dataset) continue; // left empty: the API's default
    if (field.type === "checkbox") {
      body[field.name] ??= [];
      if (field.checked) body[field.name].push(field.value);
    } else if (field.type === "radio") {
      if (field.checked) body[field.name] = field.value;
    } else if (field.dataset.kind === "list") {
      body[field.name] = value.split(",").map((v) => v.trim()).filter(Boolean);
    } else if (field.dataset.kind === "attributes") {
      body[field.name] = attributes(value);
    } else if (field.dataset.kind === "pairs") {
      body[field.name] = pairs(value);
    } else {
      body[field.name] = field.type === "number" ? Number(value) : value;
    }
  }
  return body;
}

// key=value lines as one object (the last value of a key wins).
function pairs(text) {
  const found = {};
  for (const line of text.split("\n")) {
    const [key, ...rest] = line.split("=");
    if (key.trim()) found[key.trim()] = rest.join("=").trim();
  }
  return found;
}

function attributes(text) {
  const found = {};
  for (const line of text.split("\n")) {
    const [key, ...rest] = line.split("=");
    if (!key.trim()) continue;
    (found[key.trim()] ??= []).push(rest.join("=").trim());
  }
  return found;
}

// "/users/{user_id}" takes user_id out of the body and into the path.
function fillPath(url, body) {
  return url.replace(/\{(\w+)\}/g, (_, name) => {
    const value = body[name];
    delete body[name];
    return encodeURIComponent(value);
  });
}

function say(form, text, isError = false) {
  const region = form.querySelector(".message") || document.getElementById("page-message");
  region.textContent = text;
  region.classList.toggle("error", isError);
}

function reloadWith(text) {
  if (text) sessionStorage.setItem(FLASH, text);
  location.reload();
}

function reveal(panel) {
  panel.hidden = false;
  (panel.querySelector("h3, input, button") || panel).focus();
}

// What a form does with the API's answer, by its data-then (default: reload, flashing data-done).
const THEN = {
  reload: (_, form) => reloadWith(form.dataset.done),
  signedOut: () => location.assign("/login"),
  signedIn: (_, form) => location.assign(form.dataset.next || "/"),
  // Off to the vendor to authorize a connection; it sends the browser back to /oauth/callback.
  authorize: (answer) => location.assign(answer.authorize_url),

  challenge(answer, form) {
    const mfa = document.getElementById("mfa");
    for (const input of mfa.querySelectorAll('input[name="challenge"]')) {
      input.value = answer.challenge;
    }
    for (const option of mfa.querySelectorAll("[data-factor]")) {
      option.hidden = !answer.methods.includes(option.dataset.factor);
    }
    mfa.querySelector("label:not([hidden]) input").checked = true;
    form.hidden = true;
    mfa.hidden = false;
    document.getElementById("code").focus();
  },

  emailed(_, form) {
    document.querySelector('input[name="method"][value="email"]').checked = true;
    say(form, "We emailed you a code: type it above.");
    document.getElementById("code").focus();
  },

  // Fill the panel named by data-reveal with the answer's fields, then show it.
  reveal(answer, form) {
    const panel = document.querySelector(form.dataset.reveal);
    for (const slot of panel.querySelectorAll("[data-field]")) {
      const value = answer[slot.dataset.field];
      if (slot.dataset.as === "svg") {
        // Parsed inert, then only its <svg> adopted (the CSP forbids scripts in it anyway).
        const parsed = new DOMParser().parseFromString(value, "text/html");
        slot.replaceChildren(parsed.querySelector("svg"));
      } else if (slot.tagName === "UL") {
        slot.replaceChildren(...value.map((item) => element("li", item)));
      } else {
        slot.textContent = value;
      }
    }
    reveal(panel);
  },

  table(answer, form) {
    const where = document.querySelector(form.dataset.result);
    where.replaceChildren(resultTable(answer, "Query result"));
    say(form, rowsText(answer));
  },
};

function rowsText(answer) {
  const rows = answer.row_count === 1 ? "1 row" : `${answer.row_count} rows`;
  return answer.truncated ? `${rows} (truncated)` : rows;
}

// A query's columns and rows as a table; column i's numbers are shown by formats[i] (or as is).
function resultTable(answer, caption, formats = []) {
  const numeric = answer.columns.map((_, i) => answer.rows.some((r) => typeof r[i] === "number"));
  const heads = answer.columns.map((c, i) => element("th", c, header(numeric[i])));
  const body = answer.rows.map((row) => element("tr", ...row.map((v, i) => cell(v, formats[i]))));
  const head = element("tr", ...heads);
  const parts = [element("caption", caption), element("thead", head), element("tbody", ...body)];
  return element("table", ...parts);
}

function header(numeric) {
  return numeric ? { scope: "col", class: "number" } : { scope: "col" };
}

function cell(value, format = String) {
  if (value === null) return element("td", "NULL", { class: "null" });
  if (typeof value === "number") return element("td", format(value), { class: "number" });
  return element("td", typeof value === "object" ? JSON.stringify(value) : String(value));
}

function element(tag, ...children) {
  return filled(document.createElement(tag), children);
}

// A node with its attributes (an object as the last of children) and children.
function filled(node, children) {
  const attrs = children.length && isAttrs(children.at(-1)) ? children.pop() : {};
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function isAttrs(value) {
  return value && typeof value === "object" && !(value instanceof Node);
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.dataset.api) return;
  event.preventDefault();
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
  const body = formBody(form);
  const url = fillPath(form.dataset.api, body);
  const button = form.querySelector("button:not([type=button])");
  let done = false;
  button.disabled = true;
  say(form, "Working…");
  try {
    const answer = await api(form.dataset.method || "POST", url, body);
    say(form, "");
    (THEN[form.dataset.then] || THEN.reload)(answer, form);
    done = form.dataset.then === "reveal"; // a secret is shown once: no second request
  } catch (error) {
    say(form, error.message, true);
    if (form.dataset.result) document.querySelector(form.dataset.result).replaceChildren();
  } finally {
    button.disabled = done;
  }
});

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-reload]")) reloadWith("");
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.form) {
    event.target.form.requestSubmit();
  }
});

document.addEventListener("DOMContentLoaded", () => {
  const flash = sessionStorage.getItem(FLASH);
  if (flash) {
    sessionStorage.removeItem(FLASH);
    document.getElementById("page-message").textContent = flash;
  }
});

// The Ask page: a question to AI Assist, its answer as a table, a chart where one fits and the
// SQL on request; the user's recent questions ask again. The API's text is untrusted: it goes
// into the page as text only.
const SVG = "http://www.w3.org/2000/svg";
const CHART = { width: 720, left: 84, right: 24, top: 16, bottom: 56, height: 300 };
const BARS = { most: 30, label: 200, right: 96, row: 28, bar: 18 };

document.addEventListener("submit", (event) => {
  if (event.target.id !== "ask") return;
  event.preventDefault();
  askQuestion(event.target);
});

document.addEventListener("click", (event) => {
  const again = event.target.closest("[data-question]");
  if (!again) return;
  const form = document.getElementById("ask");
  form.elements.question.value = again.dataset.question;
  form.requestSubmit();
});

async function askQuestion(form) {
  const button = form.querySelector("button");
  const alert = document.getElementById("ask-error");
  const section = document.getElementById("answer");
  if (button.disabled) return; // one question at a time
  button.disabled = true;
  alert.textContent = "";
  section.hidden = true;
  say(form, "Asking…");
  try {
    const answer = await api("POST", form.dataset.ask, { question: form.elements.question.value });
    showAnswer(section, answer);
    say(form, rowsText(answer));
  } catch (error) {
    say(form, "");
    alert.textContent = error.message;
  } finally {
    button.disabled = false;
  }
  await showRecent(form.dataset.recent);
}

function showAnswer(section, answer) {
  const slot = (name) => section.querySelector(`[data-slot="${name}"]`);
  const formats = answer.columns.map((_, i) => numberFormat(answer.rows, i));
  const chart = chartOf(answer, formats);
  slot("explanation").textContent = answer.explanation || "";
  slot("chart").replaceChildren(...(chart ? [chart] : []));
  slot("chart").hidden = !chart;
  slot("table").replaceChildren(resultTable(answer, answer.question, formats));
  slot("sql").textContent = answer.sql || "";
  slot("provider").textContent = answer.provider;
  slot("model").textContent = answer.model;
  section.querySelector("details").open = false;
  section.hidden = false;
}

// The latest questions as buttons (the list stays as it was if they cannot be read).
async function showRecent(url) {
  const questions = await api("GET", url).catch(() => null);
  if (!questions) return;
  const again = (question) => {
    const button = { type: "button", class: "quiet", "data-question": question };
    return element("li", element("button", question, button));
  };
  document.getElementById("recent").replaceChildren(...questions.map(again));
  document.querySelector(".recent [data-empty]").hidden = questions.length > 0;
}

// How a column's numbers read: whole ones with thousands separators; fractions with the
// decimals the column needs, at least 2 (amounts) and at most 4 (rates).
function numberFormat(rows, index) {
  const decimals = (n) => [0, 1, 2, 3].find((d) => Number(n.toFixed(d)) === n) ?? 4;
  const needed = rows.reduce((most, row) => {
    return typeof row[index] === "number" ? Math.max(most, decimals(row[index])) : most;
  }, 0);
  const digits = needed && Math.max(2, needed);
  const format = new Intl.NumberFormat(undefined, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return (value) => format.format(value);
}

const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 2 });

// A chart where one fits: two columns, the first a period (a line) or text (bars), the second
// numbers; rows without a number are left out. Null when none fits.
function chartOf(answer, formats) {
  const [label, measure] = answer.columns;
  if (answer.columns.length !== 2) return null;
  const points = answer.rows.filter((row) => typeof row[1] === "number");
  const texts = points.every((row) => typeof row[0] === "string");
  if (points.length < 2 || !texts) return null;
  if (label === "period") return lineChart(points, label, measure, formats[1]);
  return points.length <= BARS.most ? barChart(points, label, measure, formats[1]) : null;
}

function lineChart(points, label, measure, format) {
  const { width, height, left, right, top, bottom } = CHART;
  const ticks = niceTicks(points.map((p) => p[1]));
  const y = scale(ticks, height - bottom, top);
  const step = (width - left - right) / (points.length - 1);
  const x = (i) => round(left + i * step);
  const every = Math.ceil(points.length / Math.floor((width - left - right) / 84));
  const middle = round((top + height - bottom) / 2);
  const tick = (t) => gridLine(t, { x1: left, x2: width - right, y1: y(t), y2: y(t) },
    text(compact.format(t), left - 8, y(t) + 4, { "text-anchor": "end" }));
  const line = points.map((p, i) => `${x(i)},${y(p[1])}`).join(" ");
  const point = (p, i) => shape("circle", shape("title", `${p[0]}: ${format(p[1])}`),
    { class: "point", cx: x(i), cy: y(p[1]), r: 3.5 });
  return chartFrame(`Line chart of ${measure} by ${label}`, width, height,
    ...ticks.map(tick),
    ...points.flatMap((p, i) => (i % every ? [] : [text(p[0], x(i), height - bottom + 20)])),
    shape("polyline", { class: "line", points: line }),
    ...points.map(point),
    text(label, (left + width - right) / 2, height - 12, { class: "axis-title" }),
    text(measure, 18, middle, { class: "axis-title", transform: `rotate(-90 18 ${middle})` }),
  );
}

function barChart(points, label, measure, format) {
  const { width, top, bottom } = CHART;
  const { label: left, right, row, bar } = BARS;
  const base = top + 12;
  const height = base + points.length * row + bottom;
  const ticks = niceTicks(points.map((p) => p[1]));
  const x = scale(ticks, left, width - right);
  const tick = (t) => gridLine(t, { x1: x(t), x2: x(t), y1: base, y2: height - bottom },
    text(compact.format(t), x(t), height - bottom + 18));
  const bars = ([name, value], i) => {
    const middle = base + i * row + row / 2;
    const [start, end] = [x(Math.min(0, value)), x(Math.max(0, value))];
    const width = round(Math.max(1, end - start));
    const box = { class: "bar", x: start, y: round(middle - bar / 2), width, height: bar };
    return [
      text(clipped(name), left - 8, middle + 4, { "text-anchor": "end" }),
      shape("rect", shape("title", `${name}: ${format(value)}`), box),
      text(format(value), end + 6, middle + 4, { class: "value", "text-anchor": "start" }),
    ];
  };
  return chartFrame(`Bar chart of ${measure} by ${label}`, width, height,
    ...ticks.map(tick),
    ...points.flatMap(bars),
    text(label, left - 8, top + 2, { class: "axis-title", "text-anchor": "end" }),
    text(measure, (left + width - right) / 2, height - 12, { class: "axis-title" }),
  );
}

function chartFrame(title, width, height, ...children) {
  const attrs = { viewBox: `0 0 ${width} ${height}`, width, height, role: "img" };
  return shape("svg", shape("title", title), ...children, { ...attrs, "aria-label": title });
}

// A tick's line across the chart (zero's is the axis) and its value.
function gridLine(tick, ends, value) {
  return shape("g", shape("line", { ...ends, class: tick ? "grid" : "axis" }), value);
}

function text(value, x, y, attrs = {}) {
  const at = { x: round(x), y: round(y), "text-anchor": "middle" };
  return shape("text", String(value), { ...at, ...attrs });
}

function clipped(name) {
  return name.length > 28 ? `${name.slice(0, 27)}…` : name;
}

// Round ticks (at least two) covering the values and zero.
function niceTicks(values) {
  const low = values.reduce((a, b) => Math.min(a, b), 0);
  const high = values.reduce((a, b) => Math.max(a, b), 0);
  const rough = (high - low || 1) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = magnitude * [1, 2, 5, 10].find((n) => n * magnitude >= rough);
  const first = Math.floor(low / step);
  const count = Math.max(Math.ceil(high / step) - first, 1) + 1;
  return Array.from({ length: count }, (_, i) => Number(((first + i) * step).toPrecision(12)));
}

// A value's position from `from` to `to` (pixels) over the range the ticks span.
function scale(ticks, from, to) {
  const [low, high] = [ticks[0], ticks.at(-1)];
  return (value) => round(from + ((value - low) / (high - low)) * (to - from));
}

function round(value) {
  return Math.round(value * 10) / 10;
}

function shape(tag, ...children) {
  return filled(document.createElementNS(SVG, tag), children);
}
