// The citizen's 119 pages (kotacerdas/emergency/templates/emergency/portal/). Small on purpose:
// it runs on cheap Android phones over 3G. Leaflet is not bundled here: the pin map loads
// dist/map.js (window.L) only when GPS fails or the caller chooses the place.
//
// 1. `[data-emergency-call]`: the call form. GPS starts when the page opens (high accuracy,
//    short timeout); the big button sends the point, or the pin, or the chosen desa, with the
//    phone, by fetch (Accept: application/json) and goes to the status page it answers. The
//    page's request key (`idempotency_key`) is sent unchanged on every retry, so a double tap
//    or a retry on a bad connection is one call. Without JS the same form is a plain POST.
// 2. `[data-emergency-status]`: the live status. An EventSource on `data-stream-url`
//    (`?since=` the page's sequence) says when the call changed; the page then fetches
//    `data-json-url` and redraws the steps from the words the server sends. While the stream
//    is down or silent for 20 s, the JSON is polled every 5 s.
// 3. `[data-status-form]`: the details and cancel forms, sent by fetch; a refusal shows the
//    service's message ({"error": {"code", "message", "fields"}}).

const KOTIM_CENTER = [-2.3, 112.7];
const GPS_TIMEOUT_MS = 10000;
const GPS_WAIT_AFTER_TAP_MS = 6000;
const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000];
const POLL_MS = 5000;
const SILENT_MS = 20000;

function stringsOf(el) {
  try {
    return JSON.parse(el.dataset.strings || "{}");
  } catch (_e) {
    return {};
  }
}

function format(template, values) {
  return String(template || "").replace(/%\((\w+)\)s/g, (_m, key) => (key in values ? String(values[key]) : ""));
}

function csrfToken(form) {
  const input = form.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function sleep(ms) {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}

// POST a form as the page scripts do: {ok, status, body} (body null when not JSON); throws
// only when the network failed.
async function postForm(form) {
  const response = await fetch(form.action, {
    method: "POST",
    body: new FormData(form),
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken(form) },
    credentials: "same-origin",
  });
  const body = await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, body };
}

// The service's message, then the field messages it names (each once).
function errorLines(body, fallback) {
  const error = body && body.error;
  if (!error) return [fallback];
  const lines = [error.message];
  Object.values(error.fields || {}).forEach((list) => {
    (list || []).forEach((m) => { if (m && !lines.includes(m)) lines.push(m); });
  });
  return lines.filter(Boolean);
}

function showLines(box, lines) {
  if (!box) return;
  box.replaceChildren(...lines.map((text) => {
    const p = document.createElement("p");
    p.textContent = text;
    return p;
  }));
  box.hidden = lines.length === 0;
}

function loadOnce(tag, attrs) {
  return new Promise((resolve, reject) => {
    const el = document.createElement(tag);
    Object.entries(attrs).forEach(([k, v]) => el.setAttribute(k, v));
    el.onload = resolve;
    el.onerror = reject;
    document.head.appendChild(el);
  });
}

let leaflet = null;
function loadLeaflet(form) {
  if (window.L) return Promise.resolve(window.L);
  if (!leaflet) {
    leaflet = Promise.all([
      loadOnce("link", { rel: "stylesheet", href: form.dataset.mapCss }),
      loadOnce("script", { src: form.dataset.mapJs }),
    ]).then(() => window.L).catch((e) => { leaflet = null; throw e; });
  }
  return leaflet;
}

// --- 1. the call form -----------------------------------------------------------------------------
function callForm(form) {
  const t = stringsOf(form);
  const lat = form.elements.namedItem("lat");
  const lng = form.elements.namedItem("lng");
  const desa = form.elements.namedItem("desa_code");
  const button = form.querySelector("[data-call-button]");
  const alertBox = form.querySelector("[data-call-alert]");
  const place = form.querySelector("[data-call-place]");
  const locationBox = form.querySelector("[data-call-location]");
  const manual = form.querySelector("[data-call-manual]");
  const mapEl = form.querySelector("[data-call-map]");
  const say = (text) => { if (place) place.textContent = text || ""; };

  form.classList.add("is-live");
  form.querySelectorAll("[data-js-only]").forEach((n) => { n.hidden = false; });
  // Typed coordinates stay for a re-rendered form that has them; otherwise GPS or the pin
  // fills them (they are still submitted while hidden).
  const typed = lat.value && lng.value;
  if (manual && !typed && !manual.open) manual.hidden = true;
  const hadErrors = locationBox && locationBox.classList.contains("has-error");
  if (locationBox && !hadErrors && !typed && !(desa && desa.value)) locationBox.hidden = true;

  // Where the location comes from: "gps", "pin", "desa" or "typed"; `choosing` once the
  // caller said the emergency is elsewhere (GPS then must not decide).
  let source = typed ? "typed" : desa && desa.value ? "desa" : "";
  let choosing = false;
  let marker = null;
  let map = null;
  let lookupSeq = 0;
  let prefix = ""; // "Location found (within 12 m). " before the place name

  const lookup = async (y, x) => {
    const seq = ++lookupSeq;
    if (!form.dataset.lookupUrl) return;
    try {
      const url = `${form.dataset.lookupUrl}?lat=${encodeURIComponent(y)}&lng=${encodeURIComponent(x)}`;
      const r = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      const body = await r.json().catch(() => null);
      if (seq !== lookupSeq || !body) return;
      if (r.ok) {
        const where = format(t.place, { desa: body.desa.name, kecamatan: body.kecamatan.name });
        say(`${prefix}${where}`);
      } else if (body.error && body.error.message) {
        say(body.error.message); // outside Kotim: the API's own words
      }
    } catch (_e) { /* the place name is a nicety */ }
  };

  const setPoint = (y, x, how) => {
    lat.value = y.toFixed(6);
    lng.value = x.toFixed(6);
    source = how;
    if (how !== "gps" && desa) desa.value = "";
  };

  const elsewhere = form.querySelector("[data-call-choose]");
  const showChoices = () => {
    if (locationBox) locationBox.hidden = false;
    if (elsewhere && elsewhere.parentElement) elsewhere.parentElement.hidden = true;
    openMap();
  };

  // The pin map, loaded on demand.
  const openMap = () => {
    if (map || !mapEl) return;
    loadLeaflet(form).then((L) => {
      if (map) return;
      mapEl.hidden = false;
      map = L.map(mapEl, { zoomSnap: 0.5 });
      map.setView(KOTIM_CENTER, 8);
      if (form.dataset.tileUrl) {
        L.tileLayer(form.dataset.tileUrl, { attribution: form.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
      }
      const icon = L.divIcon({ className: "emergency-pin", iconSize: [28, 28], iconAnchor: [14, 28] });
      const put = (y, x) => {
        if (!marker) {
          marker = L.marker([y, x], { icon, draggable: true, keyboard: true }).addTo(map);
          marker.on("dragend", () => { const p = marker.getLatLng(); pin(p.lat, p.lng); });
        } else {
          marker.setLatLng([y, x]);
        }
      };
      const pin = (y, x) => {
        setPoint(y, x, "pin");
        prefix = "";
        put(y, x);
        say(t.pinned);
        lookup(y, x);
      };
      map.on("click", (e) => pin(e.latlng.lat, e.latlng.lng));
      const y0 = parseFloat(lat.value);
      const x0 = parseFloat(lng.value);
      if (Number.isFinite(y0) && Number.isFinite(x0)) {
        put(y0, x0);
        map.setView([y0, x0], 15);
      }
      const url = form.dataset.boundariesUrl;
      if (url) {
        fetch(url, { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : null)).then((geo) => {
          if (!geo) return;
          const layer = L.geoJSON(geo, {
            interactive: false,
            style: { color: "#0b6e4f", weight: 1.5, fillColor: "#0b6e4f", fillOpacity: 0.05 },
          }).addTo(map);
          if (!marker && layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { padding: [8, 8] });
        }).catch(() => {});
      }
    }).catch(() => {
      if (mapEl) mapEl.hidden = true;
      say(t.mapFailed);
    });
  };

  // GPS, started at once so that the fix is usually there when the button is tapped.
  let gpsDone = false;
  const gps = new Promise((resolve) => {
    if (source || !("geolocation" in navigator)) { gpsDone = true; resolve(null); return; }
    say(t.locating);
    navigator.geolocation.getCurrentPosition((pos) => {
      gpsDone = true;
      if (!source && !choosing) {
        setPoint(pos.coords.latitude, pos.coords.longitude, "gps");
        const found = format(t.located, { m: Math.max(1, Math.round(pos.coords.accuracy || 0)) });
        prefix = `${found} `;
        say(found);
        lookup(pos.coords.latitude, pos.coords.longitude);
      }
      resolve(pos);
    }, () => {
      gpsDone = true;
      if (!source) { say(t.noGps); showChoices(); }
      resolve(null);
    }, { enableHighAccuracy: true, timeout: GPS_TIMEOUT_MS, maximumAge: 60000 });
  });

  if (desa) {
    desa.addEventListener("change", () => {
      if (!desa.value) return;
      lat.value = "";
      lng.value = "";
      source = "desa";
      if (marker && map) { map.removeLayer(marker); marker = null; }
      prefix = "";
      lookupSeq += 1; // a place name still on its way is no longer the one chosen
      say(t.desaChosen);
    });
  }
  if (elsewhere) {
    elsewhere.addEventListener("click", () => {
      choosing = true;
      if (source === "gps") { lat.value = ""; lng.value = ""; source = ""; }
      say(t.needLocation);
      showChoices();
      if (locationBox) locationBox.scrollIntoView({ block: "start" });
    });
  }

  const hasLocation = () => Boolean((lat.value && lng.value) || (desa && desa.value));
  let sending = false;

  const send = async () => {
    sending = true;
    button.disabled = true;
    showLines(alertBox, []);
    say(t.sending);
    try {
      for (let attempt = 0; attempt <= RETRY_DELAYS_MS.length; attempt += 1) {
        let result = null;
        try {
          result = await postForm(form);
        } catch (_e) {
          result = null; // the network failed: try again with the same key
        }
        if (result && result.ok && result.body && result.body.url) {
          window.location.assign(result.body.url);
          return;
        }
        if (result && result.status < 500 && result.status !== 429) {
          showLines(alertBox, errorLines(result.body, t.failed));
          const code = result.body && result.body.error ? result.body.error.code || "" : "";
          if (code.indexOf("emergency.location") === 0) showChoices();
          say("");
          return;
        }
        if (attempt === RETRY_DELAYS_MS.length) break;
        say(navigator.onLine === false ? t.offline : t.retrying);
        await sleep(RETRY_DELAYS_MS[attempt]);
      }
      showLines(alertBox, [t.failed]);
      say("");
    } finally {
      sending = false;
      button.disabled = false;
    }
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return; // a double tap: the first is on its way
    if (!hasLocation() && !choosing && !gpsDone) {
      say(t.locating);
      button.disabled = true;
      await Promise.race([gps, sleep(GPS_WAIT_AFTER_TAP_MS)]);
      button.disabled = false;
    }
    if (!hasLocation()) {
      say(choosing ? t.needLocation : t.noGps);
      showChoices();
      return;
    }
    send();
  });
}

// --- 2. the live status ---------------------------------------------------------------------------
function liveStatus(root) {
  const t = stringsOf(root);
  const live = root.querySelector("[data-status-live]");
  let open = root.dataset.open === "1";
  let source = null;
  let lastSignal = Date.now();
  let loading = false;
  let timer = null;

  const setLive = (text) => { if (live) live.textContent = text || ""; };

  const stepItem = (step) => {
    const li = document.createElement("li");
    li.className = "emergency-step";
    if (step.done) li.classList.add("is-done");
    if (step.current) li.classList.add("is-current");
    if (step.key === "cancelled") li.classList.add("is-cancelled");
    li.dataset.step = step.key;
    const label = document.createElement("span");
    label.className = "emergency-step-label";
    label.textContent = step.label;
    li.appendChild(label);
    if (step.time) {
      const time = document.createElement("time");
      time.dateTime = step.at;
      time.textContent = step.time;
      li.append(" ", time);
    }
    if (step.detail) {
      const detail = document.createElement("span");
      detail.className = "emergency-step-detail";
      detail.textContent = step.detail;
      li.appendChild(detail);
    }
    return li;
  };

  const render = (state) => {
    const tag = root.querySelector("[data-status-label]");
    if (tag) {
      tag.textContent = state.status_label;
      tag.classList.remove("tag-info", "tag-ok", "tag-danger");
      tag.classList.add(state.cancelled_at ? "tag-danger" : state.is_open ? "tag-info" : "tag-ok");
    }
    const steps = root.querySelector("[data-status-steps]");
    if (steps) steps.replaceChildren(...state.timeline.map(stepItem));
    const eta = root.querySelector("[data-status-eta]");
    if (eta) { eta.textContent = state.eta_text || ""; eta.hidden = !state.eta_text; }
    const unitBox = root.querySelector("[data-status-unit]");
    if (unitBox) {
      unitBox.hidden = !state.unit;
      const values = { ...(state.unit || {}), destination: state.destination || "—" };
      unitBox.querySelectorAll("[data-unit]").forEach((dd) => { dd.textContent = values[dd.dataset.unit] || ""; });
    }
    const cancelBox = root.querySelector("[data-status-cancel]");
    if (cancelBox && !state.can_cancel) cancelBox.hidden = true;
    root.querySelectorAll("[data-status-open]").forEach((n) => { n.hidden = !state.is_open; });
    open = state.is_open;
    if (!open) stop();
  };

  const refresh = async () => {
    if (loading) return;
    loading = true;
    try {
      const r = await fetch(root.dataset.jsonUrl, {
        headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store",
      });
      if (r.ok) {
        render(await r.json());
        const now = new Date();
        const hh = String(now.getHours()).padStart(2, "0");
        const mm = String(now.getMinutes()).padStart(2, "0");
        const ss = String(now.getSeconds()).padStart(2, "0");
        if (open) setLive(format(t.updated, { time: `${hh}:${mm}:${ss}` }));
        else setLive("");
      }
    } catch (_e) { /* the next poll tries again */ } finally {
      loading = false;
    }
  };

  const connect = () => {
    if (!window.EventSource || !root.dataset.streamUrl) return;
    const url = `${root.dataset.streamUrl}?since=${encodeURIComponent(root.dataset.seq || "")}`;
    source = new EventSource(url);
    source.addEventListener("open", () => { lastSignal = Date.now(); setLive(t.live); });
    source.addEventListener("change", () => { lastSignal = Date.now(); setLive(t.live); refresh(); });
    source.addEventListener("ping", () => { lastSignal = Date.now(); setLive(t.live); });
    source.addEventListener("error", () => { if (open) setLive(t.polling); });
  };

  const stop = () => {
    if (source) { source.close(); source = null; }
    if (timer) { clearInterval(timer); timer = null; }
  };

  root.refresh = refresh;
  if (!open) return;
  connect();
  timer = setInterval(() => {
    if (!open) { stop(); return; }
    const down = !source || source.readyState !== 1; // 1 = OPEN
    if (down || Date.now() - lastSignal >= SILENT_MS) {
      if (down) setLive(t.polling);
      refresh();
    }
  }, POLL_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden && open) refresh(); });
}

// --- 3. details and cancel --------------------------------------------------------------------------
function statusForm(form) {
  const root = form.closest("[data-emergency-status]");
  const t = root ? stringsOf(root) : {};
  const alertBox = form.querySelector("[data-form-alert]");
  const done = (form.closest("section") || form).querySelector("[data-form-done]");
  const button = form.querySelector("button[type=submit]");
  let sending = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return;
    sending = true;
    if (button) button.disabled = true;
    showLines(alertBox, []);
    if (done) done.textContent = "";
    try {
      const result = await postForm(form);
      if (result.ok) {
        if (form.dataset.statusForm === "details") {
          form.reset();
          if (done) done.textContent = t.sent || "";
          // Answered: fold the form away (still there to add more) so the status shows.
          const fold = form.closest("details");
          const title = fold && fold.querySelector("summary h2");
          if (title && t.more) title.textContent = t.more;
          if (fold) fold.open = false;
        }
        if (root && root.refresh) root.refresh();
      } else {
        showLines(alertBox, errorLines(result.body, t.failed));
      }
    } catch (_e) {
      showLines(alertBox, [t.failed]);
    } finally {
      sending = false;
      if (button) button.disabled = false;
    }
  });
}

function start() {
  document.querySelectorAll("[data-emergency-call]").forEach(callForm);
  document.querySelectorAll("[data-emergency-status]").forEach(liveStatus);
  document.querySelectorAll("[data-status-form]").forEach(statusForm);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
