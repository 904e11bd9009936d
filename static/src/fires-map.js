// The fire-detection maps (back office and public; see the map contract in docs/modules/fires.md).
//
// 1. `#fires-map` with data-url, data-start, data-end, data-first, data-last, data-boundaries,
//    data-event-url (with a REF placeholder; empty on the public map) and optionally
//    data-tile-url/-attribution and data-strings (JSON of translated strings). It renders its
//    own period controls (1 day / 7 days / 30 days / whole range, and a slider over the days
//    from data-first to data-last) and loads `data-url?start=&end=`: {"start","end","t0",
//    "hotspots": [[lat, lng, minutes since t0, confidence 0/1/2, frp, event index or -1]],
//    "events": [{ref, status, check_result, hotspot_count, frp_total, first, last, lat, lng,
//    desa, desa_code, kecamatan, confidence}]}. Hotspots are small dots coloured by confidence;
//    events larger rings coloured by state, with a popup. A form marked `[data-fires-period]`
//    on the page gets the chosen period in its start/end inputs (its tables follow on submit).
// 2. `[data-event-map]` (one event's page): the id of a <script type="application/json"> with
//    {"event": {...}, "hotspots": [[lat, lng, iso time, confidence 0/1/2, frp]]}: the event's
//    hotspots on a small map, no fetching but the boundaries.
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import { escapeHtml, format, getJson, stringsOf as stringsWith } from "./util.js";

const KOTIM_CENTER = [-2.3, 112.7];
const DAY_MS = 86400000;
// Low / nominal / high confidence: yellow, orange, red (with a dark outline for contrast).
const CONF_COLOURS = ["#f5c400", "#f07c00", "#d01c1c"];
const CONF_KEYS = ["low", "nominal", "high"];
const STATUS_COLOURS = {
  baru: "#b42318",
  dicek_lapangan: "#8a4b00",
  ditangani: "#1e4e8c",
  padam: "#166534",
};
const DEFAULT_STRINGS = {
  low: "Low confidence",
  nominal: "Nominal confidence",
  high: "High confidence",
  event: "Fire event",
  hotspots: "hotspots",
  frp: "Total FRP",
  first: "First detection",
  last: "Last detection",
  confidence: "Confidence",
  openEvent: "Open the event",
  window: "Period",
  day: "1 day",
  week: "7 days",
  month: "30 days",
  all: "Whole range",
  until: "Last day",
  loading: "Loading the map…",
  failed: "The map data could not be loaded.",
  summary: "%(n)s hotspot(s) and %(e)s event(s) from %(start)s to %(end)s",
  empty: "No hotspots from %(start)s to %(end)s.",
  legend: "Legend",
  status_baru: "New",
  status_dicek_lapangan: "Ground-checked",
  status_ditangani: "Being handled",
  status_padam: "Extinguished",
  result_api: "Fire",
  result_bukan_api: "No fire",
};

// --- Days (WIB calendar days as YYYY-MM-DD, counted in UTC to avoid DST of the browser) -------
function parseDay(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
}

function dayText(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

const lang = document.documentElement.lang || "id";
const wibTime = new Intl.DateTimeFormat(lang, {
  timeZone: "Asia/Jakarta", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
});
const dayLabel = new Intl.DateTimeFormat(lang, { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" });

function wib(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : `${wibTime.format(d)} WIB`;
}

function number(value, digits = 1) {
  return Number(value || 0).toLocaleString(lang, { maximumFractionDigits: digits });
}

// --- Shared map pieces --------------------------------------------------------------------------
function baseMap(el) {
  el.hidden = false;
  const map = L.map(el, { zoomSnap: 0.5, preferCanvas: true });
  map.setView(KOTIM_CENTER, 8);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 18 }).addTo(map);
  }
  return map;
}

function drawBoundaries(map, url, fit) {
  if (!url) return Promise.resolve(null);
  const layer = L.geoJSON(null, {
    interactive: false,
    style: { color: "#0b6e4f", weight: 1.2, fillColor: "#0b6e4f", fillOpacity: 0.04 },
  }).addTo(map);
  layer.bringToBack();
  return getJson(url).then((r) => {
    if (!r.ok || !r.body) return null;
    layer.addData(r.body);
    layer.bringToBack();
    const bounds = layer.getBounds();
    if (fit && bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    return layer;
  }).catch(() => null);
}

function hotspotMarker(lat, lng, conf) {
  return L.circleMarker([lat, lng], {
    radius: 4,
    color: "#3b1d00",
    weight: 0.8,
    fillColor: CONF_COLOURS[conf] || CONF_COLOURS[1],
    fillOpacity: 0.9,
  });
}

// A "new" event whose last detection is over a week old was never followed up (typically an
// imported archive): drawn grey, so that this season's new events stand out.
const STALE_MS = 7 * 24 * 3600 * 1000;
const STALE_COLOUR = "#8a94a3";
function isStale(event) {
  return event.status === "baru" && Date.now() - Date.parse(event.last) > STALE_MS;
}

function stateLabel(t, event) {
  if (isStale(event)) return t.stale || t.status_baru;
  let label = t[`status_${event.status}`] || event.status;
  if (event.check_result) label += ` (${t[`result_${event.check_result}`] || event.check_result})`;
  return label;
}

function eventPopup(t, event, eventUrl) {
  const rows = [
    `<strong>${escapeHtml(t.event)} ${escapeHtml(event.ref)}</strong>`,
    `${escapeHtml(event.desa)}, ${escapeHtml(event.kecamatan)}`,
    `<span class="fires-popup-state fires-popup-${escapeHtml(event.status)}">${escapeHtml(stateLabel(t, event))}</span>`,
    `${escapeHtml(event.hotspot_count)} ${escapeHtml(t.hotspots)} · ${escapeHtml(t.frp)} ${escapeHtml(number(event.frp_total))} MW`,
    `${escapeHtml(t.first)}: ${escapeHtml(wib(event.first))}`,
    `${escapeHtml(t.last)}: ${escapeHtml(wib(event.last))}`,
  ];
  if (eventUrl) {
    const href = eventUrl.replace("REF", encodeURIComponent(event.ref));
    rows.push(`<a href="${escapeHtml(href)}">${escapeHtml(t.openEvent)} ›</a>`);
  }
  return rows.join("<br>");
}

function eventRing(t, event, eventUrl) {
  const colour = isStale(event) ? STALE_COLOUR : STATUS_COLOURS[event.status] || "#4a5565";
  const ring = L.circleMarker([event.lat, event.lng], {
    radius: Math.min(22, 9 + Math.sqrt(event.hotspot_count || 1) * 2),
    color: colour,
    weight: 3,
    dashArray: event.check_result === "bukan_api" ? "4 3" : null,
    fill: true,
    fillOpacity: 0.05,
  });
  ring.bindTooltip(stateLabel(t, event), { direction: "top", className: "fires-ring-label" });
  ring.bindPopup(eventPopup(t, event, eventUrl));
  return ring;
}

function legend(t, open) {
  const control = L.control({ position: "bottomright" });
  control.onAdd = () => {
    const div = L.DomUtil.create("div", "fires-legend");
    const conf = CONF_KEYS.map((k, i) => `<li><i class="fires-legend-dot" style="background:${CONF_COLOURS[i]}"></i>${escapeHtml(t[k])}</li>`).join("");
    const states = Object.entries(STATUS_COLOURS).map(([k, c]) => `<li><i class="fires-legend-ring" style="border-color:${c}"></i>${escapeHtml(t[`status_${k}`])}</li>`).join("") +
      `<li><i class="fires-legend-ring" style="border-color:${STALE_COLOUR}"></i>${escapeHtml(t.stale || "")}</li>`;
    div.innerHTML = `<details${open ? " open" : ""}><summary>${escapeHtml(t.legend)}</summary><ul>${conf}${states}</ul></details>`;
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  return control;
}

// --- 1. the period map --------------------------------------------------------------------------
function periodMap(el) {
  const t = stringsOf(el);
  const today = Date.now();
  const last = parseDay(el.dataset.last) ?? parseDay(dayText(today));
  const first = Math.min(parseDay(el.dataset.first) ?? last, last);
  let end = Math.min(parseDay(el.dataset.end) ?? last, last);
  let start = parseDay(el.dataset.start) ?? end;
  if (start > end) start = end;
  if (start < first) start = first;
  const totalDays = Math.round((last - first) / DAY_MS) + 1;
  let windowDays = Math.round((end - start) / DAY_MS) + 1;

  // Controls above the map: window buttons and the day slider.
  const controls = document.createElement("div");
  controls.className = "fires-controls";
  const windows = [["day", 1], ["week", 7], ["month", 30], ["all", 0]];
  controls.innerHTML = `
    <div class="fires-windows" role="group" aria-label="${escapeHtml(t.window)}">
      ${windows.map(([k, n]) => `<button type="button" class="button button-small button-ghost" data-window="${n}" aria-pressed="false">${escapeHtml(t[k])}</button>`).join("")}
    </div>
    <label class="fires-slider"><span>${escapeHtml(t.until)}: <output></output></span>
      <input type="range" min="0" max="${Math.max(0, totalDays - 1)}" step="1"></label>`;
  el.insertAdjacentElement("beforebegin", controls);
  const slider = controls.querySelector("input[type=range]");
  const output = controls.querySelector("output");
  const buttons = [...controls.querySelectorAll("[data-window]")];
  const status = document.createElement("p");
  status.className = "fires-map-status";
  status.setAttribute("role", "status");
  el.insertAdjacentElement("afterend", status);

  const map = baseMap(el);
  drawBoundaries(map, el.dataset.boundaries, true);
  const hotLayer = L.layerGroup().addTo(map);
  const eventLayer = L.layerGroup().addTo(map);
  legend(t, el.clientWidth >= 600).addTo(map);
  const eventUrl = el.dataset.eventUrl || "";
  const periodForm = document.querySelector("form[data-fires-period]");

  const render = (data) => {
    hotLayer.clearLayers();
    eventLayer.clearLayers();
    const t0 = Date.parse(data.t0);
    (data.hotspots || []).forEach(([lat, lng, minutes, conf, frp, index]) => {
      const marker = hotspotMarker(lat, lng, conf);
      const when = wib(new Date(t0 + minutes * 60000).toISOString());
      marker.bindPopup(() => {
        const rows = [`<strong>${escapeHtml(when)}</strong>`, `${escapeHtml(t.confidence)}: ${escapeHtml(t[CONF_KEYS[conf]] || conf)}`, `FRP ${escapeHtml(number(frp, 2))} MW`];
        const event = index >= 0 ? data.events[index] : null;
        if (event) rows.push(eventPopup(t, event, eventUrl));
        return rows.join("<br>");
      });
      marker.addTo(hotLayer);
    });
    (data.events || []).forEach((event) => eventRing(t, event, eventUrl).addTo(eventLayer));
    const values = { n: (data.hotspots || []).length, e: (data.events || []).length, start: dayLabel.format(start), end: dayLabel.format(end) };
    status.textContent = values.n ? format(t.summary, values) : format(t.empty, values);
  };

  let request = 0;
  const load = () => {
    const mine = ++request;
    status.textContent = t.loading;
    const u = new URL(el.dataset.url, window.location.href);
    u.searchParams.set("start", dayText(start));
    u.searchParams.set("end", dayText(end));
    getJson(u.pathname + u.search).then((r) => {
      if (mine !== request) return;
      if (!r.ok || !r.body) throw new Error(String(r.status));
      render(r.body);
    }).catch(() => { if (mine === request) status.textContent = t.failed; });
  };

  const sync = () => {
    slider.value = String(Math.round((end - first) / DAY_MS));
    output.textContent = dayLabel.format(end);
    const whole = start === first && end === last;
    buttons.forEach((b) => {
      const n = Number(b.dataset.window);
      b.setAttribute("aria-pressed", String(n === 0 ? whole : !whole && n === windowDays));
    });
    if (periodForm) {
      const s = periodForm.querySelector("[name=start]");
      const e = periodForm.querySelector("[name=end]");
      if (s) s.value = dayText(start);
      if (e) e.value = dayText(end);
    }
  };

  const setPeriod = (newEnd, days) => {
    end = Math.min(Math.max(newEnd, first), last);
    if (days === 0) {
      start = first;
      end = last;
    } else {
      windowDays = days;
      start = Math.max(first, end - (days - 1) * DAY_MS);
    }
    sync();
    load();
  };

  buttons.forEach((b) => b.addEventListener("click", () => {
    const n = Number(b.dataset.window);
    setPeriod(end, n);
  }));
  let timer = null;
  slider.addEventListener("input", () => {
    const newEnd = first + Number(slider.value) * DAY_MS;
    output.textContent = dayLabel.format(newEnd);
    clearTimeout(timer);
    // The whole range has no end to move: sliding picks the window last chosen (7 days by default).
    const days = start === first && end === last && windowDays === totalDays ? 7 : windowDays;
    timer = setTimeout(() => setPeriod(newEnd, days), 200);
  });

  sync();
  load();
}

// --- 2. one event's map -------------------------------------------------------------------------
function eventMap(el) {
  const source = document.getElementById(el.dataset.eventMap);
  if (!source) return;
  let data;
  try {
    data = JSON.parse(source.textContent);
  } catch (_e) {
    return;
  }
  const t = stringsOf(el);
  const map = baseMap(el);
  drawBoundaries(map, el.dataset.boundaries, false);
  const group = L.featureGroup().addTo(map);
  // The ring first: the hotspots are drawn over it.
  if (data.event) eventRing(t, data.event, "").addTo(group);
  (data.hotspots || []).forEach(([lat, lng, iso, conf, frp]) => {
    hotspotMarker(lat, lng, conf)
      .bindPopup(`<strong>${escapeHtml(wib(iso))}</strong><br>${escapeHtml(t[CONF_KEYS[conf]] || conf)}<br>FRP ${escapeHtml(number(frp, 2))} MW`)
      .addTo(group);
  });
  legend(t, false).addTo(map);
  const bounds = group.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds.pad(0.5), { maxZoom: 13 });
}

function start() {
  const el = document.getElementById("fires-map");
  if (el && el.dataset.url) periodMap(el);
  document.querySelectorAll("[data-event-map]").forEach(eventMap);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();

function stringsOf(el) {
  return stringsWith(el, DEFAULT_STRINGS);
}
