// The portal region map (/peta/): kecamatan and desa/kelurahan boundaries from our own GeoJSON
// API, a popup per region, and "use my location" through the lookup API. Base tiles only when
// the server configures MAP_TILE_URL. Without JS the page's table lists every region.
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import { escapeHtml, format, getJson } from "./util.js";

function start() {
  const el = document.getElementById("region-map");
  const configEl = document.getElementById("region-map-config");
  if (!el || !configEl) return;
  const config = JSON.parse(configEl.textContent);
  const t = config.strings;
  const status = document.getElementById("region-map-status");
  const say = (text) => { status.textContent = text; };

  el.hidden = false;
  document.querySelectorAll("[data-js-only]").forEach((node) => { node.hidden = false; });

  const map = L.map(el, { zoomSnap: 0.5 });
  map.setView([-2.3, 112.7], 8);
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 18 }).addTo(map);
  }

  const kecamatanNames = {};
  const levelLabel = (level) => t[level] || level;
  const popup = (p) => {
    const rows = [
      `<strong>${escapeHtml(p.name)}</strong>`,
      `${escapeHtml(t.code)}: ${escapeHtml(p.code)}`,
      `${escapeHtml(t.level)}: ${escapeHtml(levelLabel(p.level))}`,
    ];
    if (p.level !== "kecamatan" && kecamatanNames[p.parent_code]) {
      rows.push(`${escapeHtml(t.kecamatan)}: ${escapeHtml(kecamatanNames[p.parent_code])}`);
    }
    return rows.join("<br>");
  };

  const kecamatanLayer = L.geoJSON(null, {
    style: { color: "#0b6e4f", weight: 2, fillColor: "#0b6e4f", fillOpacity: 0.08 },
    onEachFeature: (feature, layer) => {
      kecamatanNames[feature.properties.code] = feature.properties.name;
      layer.bindPopup(() => popup(feature.properties));
      layer.bindTooltip(escapeHtml(feature.properties.name), { sticky: true });
    },
  });
  const desaLayer = L.geoJSON(null, {
    style: { color: "#6b4e16", weight: 1, fillColor: "#f2c14e", fillOpacity: 0.12 },
    onEachFeature: (feature, layer) => {
      layer.bindPopup(() => popup(feature.properties));
    },
  });
  kecamatanLayer.addTo(map);
  const control = L.control.layers(null, { [t.kecamatanLayer]: kecamatanLayer, [t.desaLayer]: desaLayer }, { collapsed: false });
  control.addTo(map);

  // The desa layer is loaded on first need (zoomed in or switched on): 300 KB matters on 3G.
  let desaLoaded = null;
  let desaChosenByUser = false;
  const loadDesa = () => {
    if (!desaLoaded) {
      desaLoaded = getJson(config.desaUrl).then((r) => {
        if (!r.ok) throw new Error(String(r.status));
        desaLayer.addData(r.body);
      }).catch(() => { say(t.failed); desaLoaded = null; });
    }
    return desaLoaded;
  };
  map.on("overlayadd", (e) => { if (e.layer === desaLayer) { desaChosenByUser = true; loadDesa(); } });
  map.on("overlayremove", (e) => { if (e.layer === desaLayer) desaChosenByUser = true; });
  map.on("zoomend", () => {
    if (desaChosenByUser) return;
    if (map.getZoom() >= config.desaMinZoom) {
      loadDesa();
      if (!map.hasLayer(desaLayer)) map.addLayer(desaLayer);
    } else if (map.hasLayer(desaLayer)) {
      map.removeLayer(desaLayer);
    }
  });

  getJson(config.kecamatanUrl).then((r) => {
    if (!r.ok) throw new Error(String(r.status));
    kecamatanLayer.addData(r.body);
    const bounds = kecamatanLayer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
  }).catch(() => say(t.failed));

  let marker = null;
  const button = document.getElementById("region-map-locate");
  if (button) {
    button.addEventListener("click", () => {
      if (!("geolocation" in navigator)) { say(t.noGeolocation); return; }
      say(t.locating);
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(async (pos) => {
        const { latitude: lat, longitude: lng } = pos.coords;
        try {
          const url = `${config.lookupUrl}?lat=${encodeURIComponent(lat)}&lng=${encodeURIComponent(lng)}`;
          const r = await getJson(url);
          if (marker) marker.remove();
          marker = L.circleMarker([lat, lng], { radius: 7, color: "#b42318", weight: 2, fillOpacity: 0.6 }).addTo(map);
          map.setView([lat, lng], Math.max(map.getZoom(), 12));
          if (r.ok) {
            const values = { desa: r.body.desa.name, kecamatan: r.body.kecamatan.name, m: Math.round(r.body.distance_m) };
            say(format(r.body.approximate ? t.youAreNear : t.youAreIn, values));
          } else if (r.body && r.body.error && r.body.error.code === "regions.outside") {
            say(t.outside);
          } else {
            say(t.lookupFailed);
          }
        } catch (_e) {
          say(t.lookupFailed);
        } finally {
          button.disabled = false;
        }
      }, () => { say(t.denied); button.disabled = false; }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
