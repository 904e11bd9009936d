// The 119 desk's live board (kotacerdas/emergency/templates/emergency/board/board.html).
//
// The page arrives rendered (every button a real form). This script keeps it live:
// - It listens to the server-sent events of `streamUrl` ("something changed, up to seq N") and
//   fetches the board's JSON (`stateUrl`, selectors.board_state) on each change.
// - Whenever the stream is down, or has said nothing for 20 s, it polls the JSON every 5 s; the
//   indicator in the page head says "live" or "reconnecting (polling)".
// - It re-renders in place, keyed by incident number and unit id: a row is touched only when
//   its markup changed, moved only when its place changed, and left alone while someone is
//   typing in it. Timers (since the call, time in status, ETA) tick in the browser.
// - Incidents waiting with no free unit raise a red banner and a short beep (WebAudio); the
//   sound can be muted, remembered in localStorage.
// - The forms (send the offered unit, record a unit status, in/out of service) post with fetch
//   and show the answer's message; the page does not reload.
// The row markup mirrors the templates _waiting.html, _active.html and _unit.html.
import L from "leaflet";
import "leaflet/dist/leaflet.css";

const KOTIM_CENTER = [-2.3, 112.7];
const POLL_MS = 5000;
const SILENT_MS = 20000;
const BEEP_REPEAT_MS = 60000;
const MUTE_KEY = "kc.board.muted";
const PRIORITY_COLOUR = { merah: "#b42318", kuning: "#f5b700", hijau: "#15803d" };
const BEFORE_SCENE = new Set(["ditugaskan", "diterima", "berangkat"]);
const PIN =
  '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false"><path fill="currentColor" ' +
  'd="M12 2a7 7 0 0 0-7 7c0 5.2 7 13 7 13s7-7.8 7-13a7 7 0 0 0-7-7zm0 9.5a2.5 2.5 0 1 1 0-5 2.5 2.5 0 0 1 0 5z"/></svg>';

function readJson(id) {
  const el = document.getElementById(id);
  try {
    return el ? JSON.parse(el.textContent) : null;
  } catch (_e) {
    return null;
  }
}

function esc(value) {
  return String(value == null ? "" : value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function format(template, values) {
  return String(template).replace(/%\((\w+)\)s/g, (_m, key) => (key in values ? String(values[key]) : ""));
}

function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

function minutes(seconds) {
  return seconds == null ? null : Math.max(1, Math.round(seconds / 60));
}

function board(root) {
  const config = readJson("board-config");
  let state = readJson("board-state");
  if (!config || !state) return;
  const t = config.strings;
  const csrf = (root.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  const boardUrl = window.location.pathname;
  let skew = Date.parse(state.now) - Date.now(); // server clock minus ours
  const now = () => Date.now() + skew;

  const url = (name, key) => {
    const template = config.urls[name];
    return name === "detail" || name === "dispatch"
      ? template.replace(config.refPlaceholder, encodeURIComponent(key))
      : template.replace(config.unitPlaceholder, encodeURIComponent(key));
  };
  const csrfInput = `<input type="hidden" name="csrfmiddlewaretoken" value="${esc(csrf)}">`;
  const nextInput = `<input type="hidden" name="next" value="${esc(boardUrl)}">`;

  // --- row markup (mirrors the templates) -------------------------------------------------------
  const locate = (kind, key, name) =>
    ` <button type="button" class="board-locate" data-map-focus="${kind}:${esc(key)}" title="${esc(t.showOnMap)}" ` +
    `aria-label="${esc(format(t.showOnMapOf, { name }))}">${PIN}</button>`;
  const etaText = (mins, fixed) =>
    (mins ? format(t.eta, { min: mins }) : "") + (fixed ? ` · ${t.etaFixed}` : "");

  const flags = (r) =>
    (r.conscious === false ? ` <span class="tag tag-danger">${esc(t.unconscious)}</span>` : "") +
    (r.breathing === false ? ` <span class="tag tag-danger">${esc(t.notBreathing)}</span>` : "") +
    (r.patients_count ? ` <span class="tag tag-muted">${esc(format(t.patients, { n: r.patients_count }))}</span>` : "");

  const waitingRow = (r) => {
    const detail = esc(url("detail", r.ref));
    const o = r.offer;
    const offer = o
      ? `<form method="post" action="${esc(url("dispatch", r.ref))}" data-board-action="dispatch" data-unit="${esc(o.call_sign)}" data-ref="${esc(r.ref)}">${csrfInput}` +
        `<input type="hidden" name="unit_id" value="${esc(o.unit_id)}">${nextInput}` +
        `<button type="submit" class="button button-small">${esc(format(t.send, { unit: o.call_sign }))}</button></form>` +
        `<span class="board-eta">${esc(etaText(minutes(o.eta_seconds), o.fixed))}</span>` +
        (o.exact ? "" : ` <span class="tag tag-warn">${esc(t.fallback)}</span>`)
      : `<span class="tag tag-danger">${esc(t.noUnit)}</span>`;
    return {
      cls: `board-card board-prio-${r.priority}`,
      html:
        `<div class="board-card-head"><span class="tag board-prio board-prio-${esc(r.priority)}">${esc(r.priority_label)}</span>` +
        `<a href="${detail}"><code>${esc(r.ref)}</code></a>` +
        `<span class="tag tag-muted">${esc(r.status_label)}</span>` +
        `<span class="board-timer" data-since="${esc(r.received_at)}"></span></div>` +
        `<p class="board-card-what"><strong>${esc(r.kind_label)}</strong>${r.complaint_label ? ` · ${esc(r.complaint_label)}` : ""} · <span class="muted">${esc(r.need_label)}</span>${flags(r)}</p>` +
        `<p class="board-card-where">${r.sensor_building ? `<span class="tag tag-danger">${esc(t.sensorAlarm)}</span> <strong>${esc(r.sensor_building)}</strong> · ` : ""}${esc(r.desa_name)}, ${esc(r.kecamatan_name)}${r.address ? ` · ${esc(r.address)}` : ""}` +
        `${r.approximate ? ` <small class="muted">(${esc(t.approximate)})</small>` : ""}` +
        `${r.caller_phone ? ` · <a href="tel:+${esc(r.caller_phone)}">${esc(r.caller_phone)}</a>` : ""}</p>` +
        `<div class="board-offer">${offer}` +
        `<button type="button" class="button button-small button-ghost" data-map-focus="incident:${esc(r.ref)}">${esc(t.showOnMap)}</button>` +
        `<a class="button button-small button-ghost" href="${detail}">${esc(t.open)}</a></div>`,
    };
  };

  const activeRow = (r) => {
    const units = r.units
      .map((u) => {
        const mins = minutes(u.eta_seconds);
        const live = BEFORE_SCENE.has(u.status) && u.eta_seconds != null && u.dispatched_at;
        const eta = mins
          ? ` <span class="board-eta"${live ? ` data-eta-at="${Date.parse(u.dispatched_at) + u.eta_seconds * 1000}" data-eta-fixed="${u.eta_fixed ? 1 : 0}"` : ""}>${esc(etaText(mins, u.eta_fixed))}</span>`
          : "";
        return (
          `<div class="board-unit-line"><strong>${esc(u.call_sign)}</strong> ` +
          `<span class="tag board-ustatus board-ustatus-${esc(u.status)}">${esc(u.status_label)}</span>${eta}` +
          `${u.destination ? `<br><small class="muted">→ ${esc(u.destination)}</small>` : ""}</div>`
        );
      })
      .join("");
    return {
      cls: `board-row board-prio-${r.priority}`,
      html:
        `<td><span class="tag board-prio board-prio-${esc(r.priority)}">${esc(r.priority_label)}</span></td>` +
        `<td><a href="${esc(url("detail", r.ref))}"><code>${esc(r.ref)}</code></a>${locate("incident", r.ref, r.ref)}` +
        `<br><small class="muted">${esc(r.kind_label)}${r.complaint_label ? ` · ${esc(r.complaint_label)}` : ""}</small></td>` +
        `<td>${esc(r.desa_name)}<br><small class="muted">${esc(r.kecamatan_name)}</small></td>` +
        `<td><span class="tag tag-info">${esc(r.status_label)}</span></td>` +
        `<td>${units}</td>` +
        `<td class="num"><span class="board-timer" data-since="${esc(r.received_at)}"></span></td>`,
    };
  };

  const unitRow = (u) => {
    const steps = (config.transitions[u.status] || [])
      .map(
        (s) =>
          `<form class="inline-form" method="post" action="${esc(url("unitStatus", u.id))}" data-board-action="status">${csrfInput}` +
          `<input type="hidden" name="status" value="${esc(s.value)}"><input type="hidden" name="version" value="${esc(u.version)}">${nextInput}` +
          `<button type="submit" class="button button-small button-ghost">${esc(s.label)}</button></form>`,
      )
      .join("");
    let service = "";
    if (u.status === "tersedia") {
      service =
        `<details class="board-service"><summary>${esc(t.outOfService)}</summary>` +
        `<form method="post" action="${esc(url("unitService", u.id))}" data-board-action="service">${csrfInput}` +
        `<input type="hidden" name="in_service" value="0">${nextInput}` +
        `<label for="reason-${esc(u.id)}">${esc(t.reason)}</label><input id="reason-${esc(u.id)}" name="reason" maxlength="200" required>` +
        `<button type="submit" class="button button-small button-danger">${esc(t.save)}</button></form></details>`;
    } else if (u.status === "tidak_aktif") {
      service =
        `<form class="inline-form" method="post" action="${esc(url("unitService", u.id))}" data-board-action="service">${csrfInput}` +
        `<input type="hidden" name="in_service" value="1">${nextInput}` +
        `<button type="submit" class="button button-small">${esc(t.backInService)}</button></form>`;
    }
    return {
      cls: "board-row",
      html:
        `<td><strong>${esc(u.call_sign)}</strong>${locate("unit", u.id, u.call_sign)}<br><small class="muted">${esc(u.capability_label)}</small></td>` +
        `<td>${esc(u.station)}</td>` +
        `<td><span class="tag board-ustatus board-ustatus-${esc(u.status)}">${esc(u.status_label)}</span>` +
        `${u.out_of_service_reason ? `<br><small class="muted">${esc(u.out_of_service_reason)}</small>` : ""}</td>` +
        `<td class="num"><span class="board-timer" data-since="${esc(u.status_changed_at || "")}"></span></td>` +
        `<td>${u.incident_ref ? `<a href="${esc(url("detail", u.incident_ref))}"><code>${esc(u.incident_ref)}</code></a>` : ""}</td>` +
        `<td class="actions">${steps}${service}</td>`,
    };
  };

  // --- keyed lists ---------------------------------------------------------------------------------
  // Someone typing a reason (or with its form open) keeps the row until they leave it.
  const isBusy = (el) =>
    el.querySelector("details[open]") !== null ||
    (el.contains(document.activeElement) && /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName));

  const lists = {
    waiting: root.querySelector('[data-list="waiting"]'),
    active: root.querySelector('[data-list="active"]'),
    units: root.querySelector('[data-list="units"]'),
  };
  let firstRender = true;

  function syncList(container, items, keyOf, build, tag) {
    if (!container) return;
    const existing = new Map();
    Array.from(container.children).forEach((el) => {
      if (el.dataset.key !== undefined) existing.set(el.dataset.key, el);
    });
    const wanted = new Set();
    let cursor = container.firstElementChild;
    items.forEach((item) => {
      const key = String(keyOf(item));
      wanted.add(key);
      const { cls, html } = build(item);
      let el = existing.get(key);
      if (!el) {
        el = document.createElement(tag);
        el.dataset.key = key;
        el.className = firstRender ? cls : `${cls} is-new`;
        el.innerHTML = html;
        el.boardHtml = html;
      } else if ((el.boardHtml !== html || el.boardCls !== cls) && !isBusy(el)) {
        if (el.boardHtml !== html) el.innerHTML = html;
        el.className = cls;
        el.boardHtml = html;
      }
      el.boardCls = cls;
      while (cursor && cursor.dataset.key === undefined) cursor = cursor.nextElementSibling;
      if (el === cursor) cursor = cursor.nextElementSibling;
      else container.insertBefore(el, cursor);
    });
    existing.forEach((el, key) => {
      if (!wanted.has(key) && !isBusy(el)) el.remove();
    });
    const empty = container.querySelector(":scope > [data-empty]");
    if (empty) {
      empty.hidden = items.length > 0;
      if (container.lastElementChild !== empty) container.appendChild(empty);
    }
  }

  // --- timers ----------------------------------------------------------------------------------------
  function tickTimers() {
    const at = now();
    root.querySelectorAll("[data-since]").forEach((el) => {
      const since = Date.parse(el.dataset.since);
      const text = Number.isNaN(since) ? "–" : clock(at - since);
      if (el.textContent !== text) el.textContent = text;
    });
    root.querySelectorAll("[data-eta-at]").forEach((el) => {
      const left = Number(el.dataset.etaAt) - at;
      const fixed = el.dataset.etaFixed === "1" ? ` · ${t.etaFixed}` : "";
      const text = (left >= 0 ? format(t.arrivesIn, { time: clock(left) }) : format(t.late, { time: clock(-left) })) + fixed;
      if (el.textContent !== text) el.textContent = text;
      el.classList.toggle("is-late", left < 0);
    });
  }

  // --- alarm ---------------------------------------------------------------------------------------
  const alarmEl = root.querySelector("[data-board-alarm]");
  const muteButton = document.querySelector("[data-board-mute]");
  let muted = false;
  try {
    muted = window.localStorage.getItem(MUTE_KEY) === "1";
  } catch (_e) {
    muted = false;
  }
  let audio = null;
  let lastBeep = 0;
  let lastNoUnit = 0;
  const title = document.title;

  const audioContext = () => {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    if (!audio) audio = new Ctx();
    if (audio.state === "suspended") audio.resume().catch(() => {});
    return audio;
  };
  // Browsers start sound only after a gesture: open the audio context on the first one.
  document.addEventListener("pointerdown", () => audioContext(), { once: true });
  document.addEventListener("keydown", () => audioContext(), { once: true });

  function beep() {
    lastBeep = Date.now();
    if (muted) return;
    try {
      const ctx = audioContext();
      if (!ctx) return;
      const start = ctx.currentTime + 0.02;
      [0, 0.28].forEach((offset) => {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.type = "square";
        osc.frequency.value = 880;
        gain.gain.setValueAtTime(0.0001, start + offset);
        gain.gain.exponentialRampToValueAtTime(0.15, start + offset + 0.01);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.2);
        osc.connect(gain);
        gain.connect(ctx.destination);
        osc.start(start + offset);
        osc.stop(start + offset + 0.22);
      });
    } catch (_e) {
      // no sound on this browser: the banner still shows
    }
  }

  function showMute() {
    if (!muteButton) return;
    muteButton.hidden = false;
    muteButton.setAttribute("aria-pressed", muted ? "false" : "true");
    muteButton.title = muted ? t.soundOff : t.soundOn;
  }
  if (muteButton) {
    muteButton.addEventListener("click", () => {
      muted = !muted;
      try {
        window.localStorage.setItem(MUTE_KEY, muted ? "1" : "0");
      } catch (_e) {
        // private mode: remembered for this page only
      }
      showMute();
      if (!muted && lastNoUnit > 0) beep();
    });
    showMute();
  }

  function alarm(counts) {
    const n = counts.no_unit || 0;
    if (alarmEl) {
      alarmEl.hidden = n === 0;
      if (n > 0) alarmEl.textContent = format(t.alarm[n === 1 ? 0 : 1], { n });
    }
    document.title = n > 0 ? `(${n}!) ${title}` : title;
    if (n > lastNoUnit) beep();
    lastNoUnit = n;
  }

  // --- map -------------------------------------------------------------------------------------------
  const mapEl = root.querySelector("[data-board-map]");
  let map = null;
  let incidentLayer = null;
  let unitLayer = null;
  const incidentMarkers = new Map();
  const unitMarkers = new Map();

  if (mapEl) {
    mapEl.hidden = false;
    map = L.map(mapEl, { zoomSnap: 0.5 }).setView(KOTIM_CENTER, 8);
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    if (config.boundariesUrl) {
      fetch(config.boundariesUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : null))
        .then((geojson) => {
          if (!geojson) return;
          const layer = L.geoJSON(geojson, {
            interactive: false,
            style: { color: "#17324d", weight: 1.2, fillColor: "#17324d", fillOpacity: 0.04 },
          }).addTo(map);
          layer.bringToBack();
          const bounds = layer.getBounds();
          if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
        })
        .catch(() => {});
    }
    unitLayer = L.layerGroup().addTo(map);
    incidentLayer = L.layerGroup().addTo(map);
    const near = () => mapEl.classList.toggle("is-near", map.getZoom() >= 11);
    map.on("zoomend", near);
    near();
  }

  const incidentPopup = (r) =>
    `<p><strong><code>${esc(r.ref)}</code></strong> <span class="tag board-prio board-prio-${esc(r.priority)}">${esc(r.priority_label)}</span></p>` +
    `<p>${esc(r.kind_label)}${r.complaint_label ? ` · ${esc(r.complaint_label)}` : ""}<br>${esc(r.desa_name)}, ${esc(r.kecamatan_name)}</p>` +
    `<p>${esc(r.status_label)}${r.units.length ? ` · ${esc(r.units.map((u) => u.call_sign).join(", "))}` : ""}</p>` +
    `<p><a href="${esc(url("detail", r.ref))}">${esc(t.open)}</a></p>`;
  const unitPopup = (u) =>
    `<p><strong>${esc(u.call_sign)}</strong> <span class="tag board-ustatus board-ustatus-${esc(u.status)}">${esc(u.status_label)}</span></p>` +
    `<p>${esc(u.capability_label)}<br>${esc(u.station)}${u.incident_ref ? `<br><code>${esc(u.incident_ref)}</code>` : ""}</p>`;

  function syncMarkers(markers, layer, items, keyOf, make, update) {
    const wanted = new Set();
    items.forEach((item) => {
      if (item.lat == null || item.lng == null) return;
      const key = String(keyOf(item));
      wanted.add(key);
      const existing = markers.get(key);
      if (!existing) {
        const marker = make(item);
        marker.addTo(layer);
        markers.set(key, marker);
      } else {
        update(existing, item);
      }
    });
    markers.forEach((marker, key) => {
      if (!wanted.has(key)) {
        layer.removeLayer(marker);
        markers.delete(key);
      }
    });
  }

  const incidentStyle = (r) => ({
    radius: r.waiting ? 10 : 8,
    color: r.waiting ? "#1b2430" : "#ffffff",
    weight: r.waiting ? 3 : 2,
    fillColor: PRIORITY_COLOUR[r.priority] || "#6b7280",
    fillOpacity: 0.95,
  });
  const unitIcon = (u) =>
    L.divIcon({
      className: `board-unit-icon board-ustatus-${u.status}`,
      html: `<span>${esc(u.call_sign)}</span>`,
      iconSize: [14, 14],
    });

  function renderMap() {
    if (!map) return;
    syncMarkers(
      incidentMarkers,
      incidentLayer,
      state.incidents,
      (r) => r.ref,
      (r) => {
        const m = L.circleMarker([r.lat, r.lng], incidentStyle(r)).bindPopup(incidentPopup(r));
        m.boardPopup = incidentPopup(r);
        return m;
      },
      (m, r) => {
        m.setLatLng([r.lat, r.lng]);
        m.setStyle(incidentStyle(r));
        const popup = incidentPopup(r);
        if (popup !== m.boardPopup) {
          m.setPopupContent(popup);
          m.boardPopup = popup;
        }
      },
    );
    // Waiting incidents on top of the others.
    state.incidents.forEach((r) => {
      const m = r.waiting && incidentMarkers.get(r.ref);
      if (m) m.bringToFront();
    });
    syncMarkers(
      unitMarkers,
      unitLayer,
      state.units,
      (u) => u.id,
      (u) => {
        const m = L.marker([u.lat, u.lng], { icon: unitIcon(u), title: u.call_sign, keyboard: false }).bindPopup(unitPopup(u));
        m.boardStatus = u.status;
        m.boardPopup = unitPopup(u);
        return m;
      },
      (m, u) => {
        const at = m.getLatLng();
        if (at.lat !== u.lat || at.lng !== u.lng) m.setLatLng([u.lat, u.lng]);
        if (m.boardStatus !== u.status) {
          m.setIcon(unitIcon(u));
          m.boardStatus = u.status;
        }
        const popup = unitPopup(u);
        if (popup !== m.boardPopup) {
          m.setPopupContent(popup);
          m.boardPopup = popup;
        }
      },
    );
  }

  root.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-map-focus]") : null;
    if (!button || !map) return;
    const [kind, key] = button.dataset.mapFocus.split(":");
    const marker = (kind === "incident" ? incidentMarkers : unitMarkers).get(key);
    if (!marker) return;
    map.setView(marker.getLatLng(), Math.max(map.getZoom(), 13));
    marker.openPopup();
    mapEl.scrollIntoView({ block: "nearest", behavior: "smooth" });
  });

  // --- render ------------------------------------------------------------------------------------
  function render() {
    const waiting = state.incidents.filter((r) => r.waiting);
    const active = state.incidents.filter((r) => !r.waiting);
    syncList(lists.waiting, waiting, (r) => r.ref, waitingRow, "li");
    syncList(lists.active, active, (r) => r.ref, activeRow, "tr");
    syncList(lists.units, state.units, (u) => u.id, unitRow, "tr");
    Object.entries(state.counts).forEach(([key, value]) => {
      const el = root.querySelector(`[data-count="${key}"]`);
      if (el && el.textContent !== String(value)) el.textContent = String(value);
    });
    alarm(state.counts);
    renderMap();
    tickTimers();
    firstRender = false;
  }

  // A row left alone while someone typed in it catches up when they leave it.
  root.addEventListener("focusout", () => window.setTimeout(render, 0));
  root.addEventListener("toggle", () => window.setTimeout(render, 0), true);

  // --- messages ----------------------------------------------------------------------------------
  const toasts = root.querySelector("[data-board-toasts]");
  function toast(text, level) {
    if (!toasts) return;
    const p = document.createElement("p");
    p.className = `message message-${level}`;
    p.setAttribute("role", level === "error" ? "alert" : "status");
    p.textContent = text;
    toasts.appendChild(p);
    window.setTimeout(() => p.remove(), level === "error" ? 10000 : 4000);
  }

  // --- fetching the state --------------------------------------------------------------------------
  let inflight = null;
  let again = false;
  let expired = false;
  let lastPollAt = 0;

  async function refresh() {
    if (inflight) {
      again = true;
      return;
    }
    inflight = (async () => {
      try {
        const response = await fetch(config.stateUrl, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          cache: "no-store",
        });
        const type = response.headers.get("Content-Type") || "";
        if (!response.ok || !type.includes("json")) {
          if (!expired && (response.redirected || response.status === 403 || response.status === 404)) {
            expired = true;
            toast(t.expired, "error");
          }
          return;
        }
        expired = false;
        const next = await response.json();
        if (next.seq >= state.seq) {
          skew = Date.parse(next.now) - Date.now();
          state = next;
          render();
        }
      } catch (_e) {
        // offline or the server is restarting: the next poll tries again
      }
    })();
    await inflight;
    inflight = null;
    if (again) {
      again = false;
      refresh();
    }
  }

  // --- the stream and the polling fallback -------------------------------------------------------
  const liveEl = document.querySelector("[data-board-live]");
  let source = null;
  let lastStreamAt = 0;
  let streamSeq = state.seq;
  let staleSince = 0;

  function streamOpen() {
    return source !== null && source.readyState === 1 && staleSince === 0;
  }

  function showMode() {
    if (!liveEl) return;
    const mode = streamOpen() ? "live" : "polling";
    if (liveEl.dataset.state !== mode) {
      liveEl.dataset.state = mode;
      liveEl.textContent = mode === "live" ? t.live : t.polling;
    }
  }

  function connect() {
    if (!("EventSource" in window)) return;
    const u = new URL(config.streamUrl, window.location.href);
    u.searchParams.set("since", String(state.seq));
    source = new EventSource(u.pathname + u.search);
    source.addEventListener("open", () => {
      lastStreamAt = Date.now();
      staleSince = 0;
      showMode();
    });
    source.addEventListener("change", (event) => {
      lastStreamAt = Date.now();
      staleSince = 0;
      let seq = 0;
      try {
        seq = JSON.parse(event.data).seq || 0;
      } catch (_e) {
        seq = 0;
      }
      streamSeq = Math.max(streamSeq, seq);
      if (seq > state.seq || seq === 0) refresh();
      showMode();
    });
    // The server's ping every 15 s: a quiet stream is alive, no need to poll.
    source.addEventListener("ping", () => {
      lastStreamAt = Date.now();
      showMode();
    });
    source.addEventListener("error", () => {
      showMode();
      // The browser reconnects by itself unless the server refused (CLOSED): then we retry.
      if (source && source.readyState === 2) {
        source = null;
        window.setTimeout(connect, POLL_MS);
      }
    });
  }

  // Each second: the timers, and the polling when the stream is down or silent. A stream that
  // stays open but misses changes the poll sees (a proxy buffering it) is reopened.
  function tick() {
    tickTimers();
    const at = Date.now();
    const silent = at - lastStreamAt > SILENT_MS;
    if ((!streamOpen() || silent) && at - lastPollAt >= POLL_MS) {
      lastPollAt = at;
      const before = streamSeq;
      refresh().then(() => {
        if (source && source.readyState === 1 && state.seq > before && streamSeq === before) {
          if (staleSince === 0) staleSince = Date.now();
          else if (Date.now() - staleSince > POLL_MS) {
            source.close();
            source = null;
            staleSince = 0;
            connect();
          }
        }
        showMode();
      });
    }
    if (lastNoUnit > 0 && at - lastBeep > BEEP_REPEAT_MS) beep();
    showMode();
  }

  // --- actions -------------------------------------------------------------------------------------
  root.addEventListener("submit", async (event) => {
    const form = event.target instanceof HTMLFormElement && event.target.matches("[data-board-action]") ? event.target : null;
    if (!form) return;
    event.preventDefault();
    const buttons = form.querySelectorAll("button[type=submit]");
    buttons.forEach((b) => {
      b.disabled = true;
      b.setAttribute("aria-disabled", "true");
    });
    let text = t.failed;
    let level = "error";
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json", "X-CSRFToken": csrf, "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      const body = await response.json().catch(() => null);
      if (response.ok && body && body.ok !== false) {
        level = "success";
        text =
          body.message ||
          (form.dataset.boardAction === "dispatch" ? format(t.sent, { unit: form.dataset.unit, ref: form.dataset.ref }) : t.done);
        const details = form.closest("details");
        if (details) details.open = false;
        if (document.activeElement instanceof HTMLElement && form.contains(document.activeElement)) document.activeElement.blur();
      } else if (body && body.error) {
        text = body.error.message;
      } else if (response.redirected) {
        text = t.expired;
      }
    } catch (_e) {
      text = t.failed;
    }
    toast(text, level);
    buttons.forEach((b) => {
      b.disabled = false;
      b.removeAttribute("aria-disabled");
    });
    refresh();
  });

  render();
  connect();
  showMode();
  window.setInterval(tick, 1000);
}

const root = document.querySelector("[data-board]");
if (root) board(root);
