// The phone page's service worker: it keeps the page's files so the page opens with no signal,
// also after a reload or a restarted phone. Each file is answered from the cache at once and
// fetched again in the background when there is signal (the server answers 304 while it is
// unchanged), so an update shows at the next visit. The API is never cached here: scans go to
// the page's IndexedDB queue and the offline bundle is kept there too (docs/phone-page.md).
const CACHE = "vaxticket-page-1";
const FILES = [
  "/", "/app.css", "/app.js", "/i18n.js", "/ticket.js", "/queue.js", "/manifest.webmanifest",
  "/icon.svg",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  const path = request.mode === "navigate" ? "/" : url.pathname;
  if (!FILES.includes(path)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const cached = await cache.match(path);
    const fresh = fetch(path, { cache: "no-cache" }).then((response) => {
      if (response.ok) return cache.put(path, response.clone()).then(() => response);
      return response;
    });
    if (cached) {
      event.waitUntil(fresh.catch(() => undefined));
      return cached;
    }
    return fresh;
  })());
});
