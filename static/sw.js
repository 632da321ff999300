// Vigil's service worker: the app shell opens with no network.
//
// Why it is shaped so: the build names the script, the wasm and the stylesheet
// by content hash, so they never change once published and can be served
// from the cache first; the page itself (index.html, which names the
// current hashes) is fetched from the network first so a new version is
// picked up, and from the cache when the network is gone. At install the
// worker reads the page to learn the hashed names and caches them all: the
// very first visit is enough to open the app offline later, which matters
// to a candidate whose connection drops just before the exam. The API
// (/api) and the proctors' pages (/review, with or without the slash) are
// never touched: answers live in IndexedDB and reach the server by the
// app's own sync, and a proctor's page must never land in a candidate's
// cache. Only a navigation to the shell itself ("/") refreshes the cached
// shell; any other navigation is served from the network, falling back
// to the cached shell offline.
const CACHE = "vigil-shell-v1";
const SHELL = "/";
const PASS_THROUGH = ["/api", "/review"];

// `/review`, `/review/…` and `/api…` pass; `/reviewer` would not.
function passesThrough(pathname) {
  return PASS_THROUGH.some((p) => pathname === p || pathname.startsWith(p + "/"));
}
// The vision worker and its models (several MB, fixed names): fetched when
// the app first needs faces checked, then served from this cache at once
// and refreshed in the background (stale-while-revalidate), so the checks
// start offline and a new version arrives at the next load. The version
// changes with the models' format (v2: NNEF archives; v3: Vigil's model
// files), so a worker never meets models it cannot read.
const VISION_CACHE = "vigil-vision-v3";
const VISION = "/vision/";

// Same-origin asset paths named by the page: "/name-HASH.ext" (the boot
// and the stylesheet, Trunk.toml) and "/app/name-HASH.ext" (the app the boot
// loads, see src/boot.rs): cached at install, so a candidate signed in
// here can come back to the exam offline.
function assetsOf(html) {
  const found = new Set();
  for (const m of html.matchAll(/["'](\/(?:app\/)?[A-Za-z0-9._-]+\.(?:js|wasm|css|png|svg|woff2))["']/g)) {
    found.add(m[1]);
  }
  return [...found];
}

async function cacheShell() {
  const cache = await caches.open(CACHE);
  const page = await fetch(SHELL, { cache: "no-store" });
  if (!page.ok) throw new Error(`shell ${page.status}`);
  const html = await page.clone().text();
  const assets = assetsOf(html);
  await cache.addAll(assets);
  await cache.put(SHELL, page);
  // Drop assets of older versions: only the current page's are kept.
  const keep = new Set([SHELL, ...assets].map((p) => new URL(p, self.location.origin).href));
  for (const req of await cache.keys()) {
    if (!keep.has(req.url)) await cache.delete(req);
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names.filter((n) => n !== CACHE && n !== VISION_CACHE).map((n) => caches.delete(n)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  if (passesThrough(url.pathname)) return;

  if (req.mode === "navigate") {
    // Network first; any app URL falls back to the cached shell.
    event.respondWith(
      fetch(req)
        .then((res) => {
          if (res.ok && url.pathname === SHELL && res.type === "basic") {
            const copy = res.clone();
            caches.open(CACHE).then((c) => c.put(SHELL, copy));
          }
          return res;
        })
        .catch(() => caches.match(SHELL).then((r) => r || Response.error())),
    );
    return;
  }

  if (url.pathname.startsWith(VISION)) {
    event.respondWith(
      caches.open(VISION_CACHE).then((cache) =>
        cache.match(req).then((hit) => {
          const fresh = fetch(req)
            .then((res) => {
              if (res.ok) cache.put(req, res.clone());
              return res;
            })
            .catch(() => hit || Response.error());
          if (hit) {
            event.waitUntil(fresh.catch(() => {}));
            return hit;
          }
          return fresh;
        }),
      ),
    );
    return;
  }

  // Hashed assets: cache first, and cached on first use (a new version's
  // files, loaded by a page the worker already controls).
  event.respondWith(
    caches.match(req).then(
      (hit) =>
        hit ||
        fetch(req).then((res) => {
          if (res.ok && res.type === "basic") {
            const copy = res.clone();
            caches.open(CACHE).then((c) => c.put(req, copy));
          }
          return res;
        }),
    ),
  );
});
