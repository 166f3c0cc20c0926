// Kring's service worker: keeps the app's own files so that a page reloaded without network
// still opens (the notes themselves are kept by the app in localStorage and sync when the
// network returns).
//
// `cargo xtask build` names the cache after the build and lists the build's files, whose names
// carry their content hash: such a file never changes, so it is answered from the cache first;
// the page itself (`/`) goes to the network first, so an online reload always gets the current
// version. A new build's worker deletes the caches of older builds when it takes over.
const CACHE = "kring-shell-dev";
const SHELL = ["/"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/sync")) return;
  const isPage = event.request.mode === "navigate";
  const key = isPage ? "/" : url.pathname;
  if (!isPage && SHELL.includes(key)) {
    event.respondWith(caches.match(key).then((hit) => hit || fetch(event.request)));
    return;
  }
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((c) => c.put(key, copy));
        }
        return response;
      })
      .catch(() => caches.match(key).then((r) => r || Response.error()))
  );
});
