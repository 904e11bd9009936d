{% load static %}// Kota Cerdas service worker: static assets cache-first, pages network-first with the
// offline page as the fallback, so the portal survives a flaky 3G connection.
const VERSION = "kc-{{ SW_VERSION|default:'1' }}";
const OFFLINE_URL = "{% url 'core:offline' %}";
// Only public pages are kept for offline use: a shared phone must not show someone's account.
const PUBLIC_PAGES = ["/", "/peta/", "/data/"];
const PRECACHE = [OFFLINE_URL, "{% static 'dist/app.css' %}", "{% static 'dist/app.js' %}", "{% static 'img/icon-192.png' %}"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/kantor/")) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(
      caches.match(request).then((hit) => hit || fetch(request).then((response) => {
        const copy = response.clone();
        caches.open(VERSION).then((cache) => cache.put(request, copy));
        return response;
      }))
    );
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request).then((response) => {
        if (response.ok && PUBLIC_PAGES.includes(url.pathname)) {
          const copy = response.clone();
          caches.open(VERSION).then((cache) => cache.put(request, copy));
        }
        return response;
      }).catch(() => caches.match(request).then((hit) => hit || caches.match(OFFLINE_URL)))
    );
  }
});
