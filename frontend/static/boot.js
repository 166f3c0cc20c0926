// Starts the WASM app and registers the service worker that keeps the app's files for offline
// reloads. A file rather than an inline script, so the Content-Security-Policy allows no inline
// script at all.
import init from "/kring.js";
init({ module_or_path: "/kring_bg.wasm" });
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}
