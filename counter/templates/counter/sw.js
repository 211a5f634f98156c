// The counter's service worker (served at /counter/sw.js, so its scope is /counter/).
//
// A counter that loses the network and is reloaded must still open, with its offline queue (kept in
// localStorage by static/js/counter.js). So the counter page and the scripts and styles it loads are
// answered from the network when there is one (and a copy is kept), and from the kept copy when there is not.
// Nothing else is touched: posts, the API, the websocket and every other page go to the network as before.
"use strict";

var CACHE = "yibaotong-counter-v1";
var PAGE = "/counter/";

function kept(request) {
  if (request.method !== "GET") return false;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return false;
  return url.pathname === PAGE || url.pathname.indexOf("/static/") === 0;
}

// The page is kept under its bare address, whatever query it was opened with.
function key(request) {
  var url = new URL(request.url);
  url.hash = "";
  if (url.pathname === PAGE) url.search = "";
  return url.href;
}

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name.indexOf("yibaotong-counter-") === 0 && name !== CACHE;
        }).map(function (name) { return caches.delete(name); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (!kept(request)) return;
  event.respondWith(
    fetch(request)
      .then(function (response) {
        // Only the page itself as an operator sees it (not a redirect to sign-in, not an error page).
        if (response.ok && !response.redirected && response.type === "basic") {
          var copy = response.clone();
          event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.put(key(request), copy); }));
        }
        return response;
      })
      .catch(function (problem) {
        return caches.open(CACHE)
          .then(function (cache) { return cache.match(key(request), { ignoreVary: true }); })
          .then(function (answer) {
            if (answer) return answer;
            throw problem;
          });
      })
  );
});
