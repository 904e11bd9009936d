{% load static %}// Kota Cerdas service worker, so the portal survives a flaky 3G connection:
// - static files: cache-first when the name carries a content hash (they never change),
//   network-first otherwise (development, unhashed names);
// - pages: network-first; the copy kept for offline use is only of pages an anonymous visitor
//   sees (base.html marks them with <meta name="kc-offline" content="public">), so a shared
//   phone never shows someone's account, notifications or forms offline; when there is no
//   network and no copy, the offline page;
// - never kept: /akun/ (accounts), /kantor/ (back office), /dewan/, /notifikasi/, /api/,
//   /admin/ (their pages fall back to the offline page, nothing more); not touched at all:
//   API calls, other origins, anything that is not a GET.
const PRECACHE = [
  "{% static 'dist/app.css' %}",
  "{% static 'dist/app.js' %}",
  "{% static 'img/icon.svg' %}",
  "{% static 'img/icon-192.png' %}",
];
// The version follows the hashed asset names: a new build gets fresh caches and the old are dropped.
const VERSION = "kc-{{ SW_VERSION|default:'2' }}-" + PRECACHE.join("|").split("").reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7).toString(36);
const STATIC_CACHE = VERSION + "-static";
const PAGE_CACHE = VERSION + "-pages";
const MAX_PAGES = 40;
const OFFLINE_URL = "{% url 'core:offline' %}";
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
  const isPrivate = PRIVATE_PREFIXES.some((p) => url.pathname.startsWith(p));
  if (request.mode === "navigate") {
    // private pages: network only, never kept; with no network, the offline page
    event.respondWith(isPrivate ? fetch(request).catch(() => caches.match(OFFLINE_URL)) : page(event, url));
    return;
  }
  if (isPrivate) return;
  if (url.pathname.startsWith("{% get_static_prefix %}")) {
    event.respondWith(HASHED.test(url.pathname) ? staticFirst(request) : staticNetworkFirst(request));
  }
});

