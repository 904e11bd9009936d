{% load static %}// Kota Cerdas service worker, so the portal survives a flaky 3G connection:
// - static files: cache-first when the name carries a content hash (they never change),
//   network-first otherwise (development, unhashed names);
// - pages: network-first; the copy kept for offline use is only of pages an anonymous visitor
//   sees (base.html marks them with <meta name="kc-offline" content="public">), so a shared
//   phone never shows someone's account, notifications or forms offline; when there is no
//   network and no copy, the offline page;
// - never touched: /akun/ (accounts), /kantor/ (back office), /dewan/, /api/, /admin/, and
//   anything that is not a same-origin GET.
const VERSION = "kc-{{ SW_VERSION|default:'2' }}";
const STATIC_CACHE = VERSION + "-static";
const PAGE_CACHE = VERSION + "-pages";
const MAX_PAGES = 40;
const OFFLINE_URL = "{% url 'core:offline' %}";
const PRECACHE = [
  "{% static 'dist/app.css' %}",
  "{% static 'dist/app.js' %}",
  "{% static 'img/icon.svg' %}",
  "{% static 'img/icon-192.png' %}",
];
const PRIVATE_PREFIXES = ["/akun/", "/kantor/", "/dewan/", "/api/", "/admin/", "/notifikasi/", "/i18n/"];
const HASHED = /\.[0-9a-f]{12}\.[a-z0-9]+$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    Promise.all([
      caches.open(STATIC_CACHE).then((cache) => cache.addAll(PRECACHE)),
      // the offline page is fetched fresh (not from the HTTP cache) so it matches this version
      caches.open(PAGE_CACHE).then((cache) => cache.add(new Request(OFFLINE_URL, { cache: "reload" }))),
    ]).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => !k.startsWith(VERSION + "-")).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

async function staticFirst(request) {
  const hit = await caches.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) {
    const copy = response.clone();
    caches.open(STATIC_CACHE).then((cache) => cache.put(request, copy));
  }
  return response;
}

async function staticNetworkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const copy = response.clone();
      caches.open(STATIC_CACHE).then((cache) => cache.put(request, copy));
    }
    return response;
  } catch (err) {
    const hit = await caches.match(request);
    if (hit) return hit;
    throw err;
  }
}

// Pages are kept by path alone ("/?source=pwa" is "/"), and only plain addresses: a filtered
// list (?page=2) is not worth a slot.
function pageKey(url) {
  return url.origin + url.pathname;
}

async function keepIfPublic(url, response) {
  const search = url.searchParams;
  if (url.pathname === OFFLINE_URL) return;
  if (!response.ok || response.redirected || [...search.keys()].some((k) => k !== "source")) return;
  if (!(response.headers.get("Content-Type") || "").includes("text/html")) return;
  const html = await response.clone().text();
  const cache = await caches.open(PAGE_CACHE);
  if (!/<meta name="kc-offline" content="public">/.test(html)) {
    await cache.delete(pageKey(url)); // was public, now personal (signed in): forget it
    return;
  }
  await cache.put(pageKey(url), response);
  const keys = await cache.keys();
  const pages = keys.filter((r) => new URL(r.url).pathname !== OFFLINE_URL);
  for (const old of pages.slice(0, Math.max(0, pages.length - MAX_PAGES))) await cache.delete(old);
}

async function page(event, url) {
  try {
    const response = await fetch(event.request);
    event.waitUntil(keepIfPublic(url, response.clone()).catch(() => {}));
    return response;
  } catch (err) {
    const cache = await caches.open(PAGE_CACHE);
    return (await cache.match(pageKey(url))) || (await cache.match(OFFLINE_URL)) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (PRIVATE_PREFIXES.some((p) => url.pathname.startsWith(p))) return;
  if (url.pathname.startsWith("{% get_static_prefix %}")) {
    event.respondWith(HASHED.test(url.pathname) ? staticFirst(request) : staticNetworkFirst(request));
    return;
  }
  if (request.mode === "navigate") event.respondWith(page(event, url));
});

