// Small helpers the page scripts share: message formatting like Django's %(name)s, HTML
// escaping, the page's translated strings over defaults, and a JSON fetch that never throws on
// an error status.

export function format(template, values) {
  return String(template).replace(/%\((\w+)\)s/g, (_m, key) => (key in values ? String(values[key]) : ""));
}

export function escapeHtml(text) {
  const span = document.createElement("span");
  span.textContent = text == null ? "" : String(text);
  return span.innerHTML;
}

export function stringsOf(el, defaults) {
  let given = {};
  try {
    given = JSON.parse(el.dataset.strings || "{}");
  } catch (_e) {
    given = {};
  }
  return { ...defaults, ...given };
}

export async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  const body = await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, body };
}
