// Maps and small helpers of the reports pages (loaded only on pages that show a map).
//
// 1. `[data-reports-map]` with `data-url`: the public map (and the back office's). The URL
//    answers {"cells": [{lat, lng, count, open}]} for the whole area, or, with
//    `bbox=south,west,north,east&zoom=` at zoom >= 13, {"points": [{ref, title, status, kind,
//    lat, lng, url}]}. Cells are circles sized by count with the count on them; points are
//    markers with a popup linking to `url`. Reloaded on moveend.
// 2. `[data-report-pin]`: the pin picker of the filing form. Tapping the map or "use my
//    location" fills the form's `lat`/`lng` inputs, shows the desa/kecamatan from the lookup
//    API, and loads the open reports nearby (`data-nearby-url`) into `data-nearby-target`.
// 3. `[data-report-point]` with `data-lat`/`data-lng`: a small map of one report.
// Optional on every map: `data-boundaries-url` (kecamatan GeoJSON: the map draws Kotim's own
// boundaries, no tiles needed), `data-tile-url` + `data-tile-attribution` (base tiles only when
// the server configures them), `data-strings` (JSON of translated strings).
// Also: the category filter box (`[data-category-filter]`) and the character counter
// (`[data-counter-for]`) of the filing form.
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import { escapeHtml, format, getJson, stringsOf as stringsWith } from "./util.js";

const KOTIM_CENTER = [-2.3, 112.7];
const POINTS_MIN_ZOOM = 13;
const MAX_POINTS = 500; // the server's limit per answer: a full answer may hide more
const DEFAULT_STRINGS = {
  reports: "reports",
  open: "open",
  openReport: "Open the report",
  failed: "The map could not be loaded.",
  locating: "Finding your location…",
  noGeolocation: "Your browser cannot share its location. Tap the map instead.",
  denied: "We could not get your location. Allow location access or tap the map.",
  place: "Desa/kelurahan %(desa)s, kecamatan %(kecamatan)s",
  approximate: "near %(desa)s, kecamatan %(kecamatan)s",
  lookupFailed: "We could not look up this place.",
  tapMap: "Tap the map where the problem is.",
};

function baseMap(el, options = {}) {
  el.hidden = false;
  const map = L.map(el, { zoomSnap: 0.5, ...options });
  map.setView(KOTIM_CENTER, 8);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  }
  return map;
}

// Kotim's kecamatan outlines from our own API (cached by the browser: Cache-Control + ETag).
function drawBoundaries(map, el, { fit }) {
  const url = el.dataset.boundariesUrl;
  if (!url) return Promise.resolve(null);
  const layer = L.geoJSON(null, {
    interactive: false,
    style: { color: "#0b6e4f", weight: 1.5, fillColor: "#0b6e4f", fillOpacity: 0.05 },
  }).addTo(map);
  return getJson(url).then((r) => {
    if (!r.ok || !r.body) return null;
    layer.addData(r.body);
    const bounds = layer.getBounds();
    if (fit && bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    return layer;
  }).catch(() => null);
}

function withParams(url, params) {
  const u = new URL(url, window.location.href);
  Object.entries(params).forEach(([k, v]) => u.searchParams.set(k, v));
  return u.pathname + u.search;
}

// --- 1. the reports map ----------------------------------------------------------------------------
function reportsMap(el) {
  const t = stringsOf(el);
  const map = baseMap(el);
  const layer = L.layerGroup().addTo(map);
  const status = document.createElement("p");
  status.className = "map-status";
  status.setAttribute("role", "status");
  el.insertAdjacentElement("afterend", status);
  let cellsCache = null;
  let request = 0;

  const cellRadius = (count) => Math.min(34, 9 + Math.sqrt(count) * 3);
  const drawCells = (cells) => {
    layer.clearLayers();
    cells.forEach((c) => {
      const marker = L.circleMarker([c.lat, c.lng], {
        radius: cellRadius(c.count),
        color: "#08553d",
        weight: 1.5,
        fillColor: c.open > 0 ? "#0b6e4f" : "#6b7280",
        fillOpacity: 0.7,
      });
      marker.bindTooltip(String(c.count), { permanent: true, direction: "center", className: "reports-count" });
      marker.bindPopup(`${escapeHtml(c.count)} ${escapeHtml(t.reports)}, ${escapeHtml(c.open)} ${escapeHtml(t.open)}`);
      marker.on("click", () => map.setView([c.lat, c.lng], Math.max(map.getZoom() + 2, POINTS_MIN_ZOOM)));
      marker.addTo(layer);
    });
  };
  const drawPoints = (points) => {
    layer.clearLayers();
    points.forEach((p) => {
      const closed = ["selesai", "ditutup", "ditolak"].includes(p.status);
      const marker = L.circleMarker([p.lat, p.lng], {
        radius: 8,
        color: "#ffffff",
        weight: 2,
        fillColor: closed ? "#6b7280" : p.kind === "aspiration" ? "#1d4ed8" : "#b42318",
        fillOpacity: 0.95,
      });
      marker.bindPopup(
        `<strong>${escapeHtml(p.ref)}</strong><br>${escapeHtml(p.title)}<br>` +
        `<a href="${escapeHtml(p.url)}">${escapeHtml(t.openReport)}</a>`,
      );
      marker.addTo(layer);
    });
  };

  // What is drawn: "cells" (all of the area), or "points" inside `bounds` (fetched with a
  // margin, so that small moves and a popup's auto-pan don't refetch and close the popup).
  let drawn = null;
  const load = () => {
    const zoom = Math.floor(map.getZoom());
    if (zoom < POINTS_MIN_ZOOM) {
      if (drawn && drawn.mode === "cells") return;
      const mine = ++request;
      // The cells cover the whole area: fetched once per page (the filters are in data-url).
      const show = (cells) => { drawCells(cells); drawn = { mode: "cells" }; status.textContent = ""; };
      if (cellsCache) { show(cellsCache); return; }
      getJson(el.dataset.url).then((r) => {
        if (mine !== request) return;
        if (!r.ok || !r.body) throw new Error(String(r.status));
        cellsCache = r.body.cells || [];
        show(cellsCache);
      }).catch(() => { status.textContent = t.failed; });
      return;
    }
    if (drawn && drawn.mode === "points" && drawn.complete && drawn.bounds.contains(map.getBounds())) return;
    const mine = ++request;
    const b = map.getBounds().pad(0.5);
    const bbox = [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()].map((v) => v.toFixed(5)).join(",");
    getJson(withParams(el.dataset.url, { bbox, zoom: String(zoom) })).then((r) => {
      if (mine !== request) return;
      if (!r.ok || !r.body) throw new Error(String(r.status));
      if (r.body.points) {
        drawPoints(r.body.points);
        drawn = { mode: "points", bounds: b, complete: r.body.points.length < MAX_POINTS };
      } else if (r.body.cells) {
        drawCells(r.body.cells);
        drawn = null;
      }
      status.textContent = "";
    }).catch(() => { status.textContent = t.failed; });
  };

  drawBoundaries(map, el, { fit: true }).then(() => {
    map.on("moveend", load);
    load();
  });
}

// --- 2. the pin picker -------------------------------------------------------------------------------
function pinPicker(el) {
  const t = stringsOf(el);
  const form = document.getElementById(el.dataset.form) || el.closest("form");
  if (!form) return;
  const latInput = form.elements.namedItem("lat");
  const lngInput = form.elements.namedItem("lng");
  const category = form.elements.namedItem("category");
  const place = form.querySelector("[data-pin-place]");
  const manual = form.querySelector("[data-pin-manual]");
  const nearbyBox = document.getElementById(el.dataset.nearbyTarget || "");
  const say = (text) => { if (place) place.textContent = text; };

  const map = baseMap(el);
  form.querySelectorAll("[data-js-only]").forEach((n) => { n.hidden = false; });
  // The map fills the coordinates now: the typed inputs step aside (still submitted).
  if (manual) manual.hidden = true;
  [latInput, lngInput].forEach((input) => { if (input) input.required = false; });

  const pinIcon = L.divIcon({ className: "report-pin", iconSize: [28, 28], iconAnchor: [14, 28] });
  let marker = null;
  let lookupSeq = 0;

  const loadNearby = () => {
    if (!nearbyBox || !el.dataset.nearbyUrl) return;
    const code = category && category.value;
    if (!code || !latInput.value || !lngInput.value) { nearbyBox.innerHTML = ""; return; }
    const url = withParams(el.dataset.nearbyUrl, { category: code, lat: latInput.value, lng: lngInput.value });
    if (window.htmx) {
      window.htmx.ajax("GET", url, { target: nearbyBox, swap: "innerHTML" });
    } else {
      fetch(url, { credentials: "same-origin" }).then((r) => r.text()).then((html) => { nearbyBox.innerHTML = html; });
    }
  };

  const lookup = async (lat, lng) => {
    const seq = ++lookupSeq;
    if (!el.dataset.lookupUrl) return;
    try {
      const r = await getJson(withParams(el.dataset.lookupUrl, { lat: String(lat), lng: String(lng) }));
      if (seq !== lookupSeq) return;
      if (r.ok) {
        const values = { desa: r.body.desa.name, kecamatan: r.body.kecamatan.name };
        say(format(r.body.approximate ? t.approximate : t.place, values));
      } else if (r.body && r.body.error && r.body.error.message) {
        say(r.body.error.message); // outside Kotim: the API's own message (422)
      } else {
        say(t.lookupFailed);
      }
    } catch (_e) {
      if (seq === lookupSeq) say(t.lookupFailed);
    }
  };

  const setPin = (lat, lng, { pan } = { pan: false }) => {
    latInput.value = lat.toFixed(6);
    lngInput.value = lng.toFixed(6);
    if (!marker) {
      marker = L.marker([lat, lng], { icon: pinIcon, draggable: true, keyboard: true }).addTo(map);
      marker.on("dragend", () => {
        const p = marker.getLatLng();
        setPin(p.lat, p.lng);
      });
    } else {
      marker.setLatLng([lat, lng]);
    }
    if (pan) map.setView([lat, lng], Math.max(map.getZoom(), 16));
    lookup(lat, lng);
    loadNearby();
  };

  map.on("click", (e) => setPin(e.latlng.lat, e.latlng.lng));
  if (category) category.addEventListener("change", loadNearby);

  const locate = form.querySelector("[data-pin-locate]");
  if (locate) {
    locate.addEventListener("click", () => {
      if (!("geolocation" in navigator)) { say(t.noGeolocation); return; }
      say(t.locating);
      locate.disabled = true;
      navigator.geolocation.getCurrentPosition((pos) => {
        locate.disabled = false;
        setPin(pos.coords.latitude, pos.coords.longitude, { pan: true });
      }, () => {
        locate.disabled = false;
        say(t.denied);
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  form.addEventListener("submit", (event) => {
    if (!latInput.value || !lngInput.value) {
      event.preventDefault();
      event.stopImmediatePropagation();
      say(t.tapMap);
      el.scrollIntoView({ block: "center" });
    }
  }, true);

  const lat0 = parseFloat(latInput.value);
  const lng0 = parseFloat(lngInput.value);
  drawBoundaries(map, el, { fit: !(Number.isFinite(lat0) && Number.isFinite(lng0)) });
  if (Number.isFinite(lat0) && Number.isFinite(lng0)) setPin(lat0, lng0, { pan: true });
  else say(t.tapMap);
}

// --- 3. one report's place -----------------------------------------------------------------------------
function reportPoint(el) {
  const lat = parseFloat(el.dataset.lat);
  const lng = parseFloat(el.dataset.lng);
  if (!Number.isFinite(lat) || !Number.isFinite(lng)) return;
  const map = baseMap(el, { scrollWheelZoom: false });
  drawBoundaries(map, el, { fit: false });
  L.circleMarker([lat, lng], { radius: 9, color: "#ffffff", weight: 2, fillColor: "#b42318", fillOpacity: 0.95 }).addTo(map);
  map.setView([lat, lng], 14);
}

// --- form helpers ---------------------------------------------------------------------------------------
// A small text box that narrows the category select; works on iOS too (options are rebuilt,
// not hidden). Without JS the box stays hidden and the grouped select works as is.
function categoryFilter(box) {
  const select = document.getElementById(box.dataset.categoryFilter);
  if (!select) return;
  box.hidden = false;
  const placeholder = select.querySelector("option[value='']");
  const groups = Array.from(select.querySelectorAll("optgroup")).map((g) => ({
    label: g.label,
    options: Array.from(g.querySelectorAll("option")).map((o) => o.cloneNode(true)),
  }));
  box.addEventListener("input", () => {
    const words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    const chosen = select.value;
    select.replaceChildren();
    if (placeholder) select.appendChild(placeholder.cloneNode(true));
    let matches = 0;
    let last = null;
    groups.forEach((g) => {
      const hits = g.options.filter((o) => {
        const text = `${o.dataset.search || ""} ${o.textContent.toLowerCase()}`;
        return words.every((w) => text.includes(w));
      });
      if (!hits.length) return;
      const group = document.createElement("optgroup");
      group.label = g.label;
      hits.forEach((o) => { const copy = o.cloneNode(true); copy.selected = o.value === chosen; group.appendChild(copy); last = copy; matches += 1; });
      select.appendChild(group);
    });
    if (matches === 1 && last && select.value !== last.value) {
      last.selected = true;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
}

function counter(out) {
  const field = document.getElementById(out.dataset.counterFor);
  if (!field) return;
  const max = parseInt(field.getAttribute("maxlength") || "0", 10);
  const update = () => { out.textContent = max ? `${field.value.length} / ${max}` : String(field.value.length); };
  field.addEventListener("input", update);
  update();
}

// The chosen category's extra questions only (without JS every set shows; the server reads
// the chosen category's answers only).
function attributeSets(select) {
  const sets = Array.from(document.querySelectorAll("[data-attributes-for]"));
  if (!sets.length) return;
  const update = () => sets.forEach((set) => {
    const on = set.dataset.attributesFor === select.value;
    set.hidden = !on;
    set.querySelectorAll("input, select, textarea").forEach((el) => { el.disabled = !on; });
  });
  select.addEventListener("change", update);
  update();
}

function start() {
  document.querySelectorAll("[data-category-filter]").forEach(categoryFilter);
  const category = document.getElementById("id_category");
  if (category) attributeSets(category);
  document.querySelectorAll("[data-counter-for]").forEach(counter);
  document.querySelectorAll("[data-reports-map]").forEach(reportsMap);
  document.querySelectorAll("[data-report-pin]").forEach(pinPicker);
  document.querySelectorAll("[data-report-point]").forEach(reportPoint);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();

function stringsOf(el) {
  return stringsWith(el, DEFAULT_STRINGS);
}
