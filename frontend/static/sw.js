// Kring's service worker: keeps the app's own files so that a page reloaded without network
// still opens (the notes themselves are kept by the app in localStorage and sync when the
// network returns). Network first, so an online reload always gets the current version.
const CACHE = "kring-shell-v1";
const SHELL = ["/", "/boot.js", "/kring.js", "/kring_bg.wasm", "/style.css"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/sync")) return;
  const isPage = event.request.mode === "navigate";
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((c) => c.put(isPage ? "/" : url.pathname, copy));
        }
        return response;
      })
      .catch(() => caches.match(isPage ? "/" : url.pathname).then((r) => r || Response.error()))
  );
});
