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
    const rows = answer.row_count === 1 ? "1 row" : `${answer.row_count} rows`;
    const caption = element("caption", "Query result");
    const numeric = answer.columns.map((_, i) => answer.rows.some((r) => typeof r[i] === "number"));
    const heads = answer.columns.map((c, i) => element("th", c, header(numeric[i])));
    const body = answer.rows.map((row) => element("tr", ...row.map(cell)));
    const head = element("tr", ...heads);
    const table = element("table", caption, element("thead", head), element("tbody", ...body));
    where.replaceChildren(table);
    say(form, answer.truncated ? `${rows} (truncated)` : rows);
  },
};

function header(numeric) {
  return numeric ? { scope: "col", class: "number" } : { scope: "col" };
}

function cell(value) {
  if (value === null) return element("td", "NULL", { class: "null" });
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return element("td", text, typeof value === "number" ? { class: "number" } : {});
}

function element(tag, ...children) {
  const attrs = children.length && isAttrs(children.at(-1)) ? children.pop() : {};
  const node = document.createElement(tag);
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
