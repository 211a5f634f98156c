// The counter thin client: item rows and the catalogue, and working through a network outage.
//
// Online, htmx posts the form and swaps #counter-status. Offline (navigator.onLine is false, or the
// post cannot reach the server), the code is checked here with the cached Ed25519 public keys from
// /api/v1/keys (WebCrypto), the settlement is queued in localStorage with its own client_id, and the
// queue is uploaded to /counter/batch when the network is back (and on every page load). The server
// settles each client_id at most once, so uploading the same queue twice never pays twice.
// Only a browser registered as an offline terminal (data-offline-enabled) captures offline at all, and
// never above the floor limit (data-floor-limit, yuan): the server refuses both the same way.
(function () {
  "use strict";

  var root = document.getElementById("counter");
  if (!root) return;
  var form = document.getElementById("counter-form");
  var codeInput = document.getElementById("counter-code");
  var rowsBody = document.getElementById("counter-rows");
  var catalogue = document.getElementById("counter-catalogue");
  var addButton = document.getElementById("counter-add-row");
  var messageOut = document.getElementById("counter-message");
  var queueOut = document.getElementById("counter-queue");
  var networkOut = document.getElementById("counter-network");
  var uploadsOut = document.getElementById("counter-uploads");

  var QUEUE_KEY = "yibaotong.counter.queue." + (root.getAttribute("data-institution") || "");
  var KEYS_KEY = "yibaotong.counter.keys";
  var BATCH_SIZE = 100;
  var MAX_ROWS = parseInt(root.getAttribute("data-max-items") || "200", 10);
  var TOKEN_LENGTH = 105;
  var SIGNED_LENGTH = 41;
  var TTL_SECONDS = 60;
  var CLOCK_SKEW_SECONDS = 5;
  var COLUMN = { code: "code", name: "name", category: "category", quantity: "quantity", unit_price: "price" };
  var uploading = false;
  var OFFLINE_ENABLED = root.getAttribute("data-offline-enabled") === "true";
  var FLOOR_LIMIT_FEN = fen(root.getAttribute("data-floor-limit") || "0");

  function text(name, values) {
    var out = root.getAttribute("data-text-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      out = out.split("{" + key + "}").join(String(values[key]));
    });
    return out;
  }

  // A message says what it is by a glyph as well as by colour, like the alerts the server renders.
  // `offlineNote` marks the "saved, will upload" notes, which go once the network is back and the queue is sent.
  function show(kind, message, offlineNote) {
    messageOut.textContent = "";
    if (!message) return;
    var p = document.createElement("p");
    p.className = "alert " + (kind === "error" ? "alert-error" : "alert-ok");
    p.setAttribute("role", kind === "error" ? "alert" : "status");
    p.setAttribute("data-testid", kind === "error" ? "counter-error" : "counter-notice");
    if (offlineNote) p.setAttribute("data-offline-note", "true");
    var glyph = document.createElement("span");
    glyph.setAttribute("aria-hidden", "true");
    glyph.textContent = kind === "error" ? "\u26a0 " : "\u2713 ";
    p.appendChild(glyph);
    p.appendChild(document.createTextNode(message));
    messageOut.appendChild(p);
  }

  function offlineNoteShown() { return !!messageOut.querySelector("[data-offline-note]"); }

  // --- storage ---------------------------------------------------------------------------------

  function readJson(key, fallback) {
    try {
      var raw = window.localStorage.getItem(key);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return fallback;
    }
  }

  function loadQueue() {
    var queue = readJson(QUEUE_KEY, []);
    return Array.isArray(queue) ? queue : [];
  }

  function saveQueue(queue) {
    window.localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
    renderQueue();
  }

  function renderQueue() {
    if (queueOut) queueOut.textContent = text("pending", { n: loadQueue().length });
  }

  function renderNetwork() {
    if (navigator.onLine !== false) networkOut.textContent = text("online");
    else networkOut.textContent = OFFLINE_ENABLED ? text("offline") : text("offline-off");
  }

  function refreshKeys() {
    if (navigator.onLine === false) return;
    fetch(root.getAttribute("data-keys-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && Array.isArray(body.keys) && body.keys.length) {
          window.localStorage.setItem(KEYS_KEY, JSON.stringify({ fetched_at: Date.now(), keys: body.keys }));
        }
      })
      .catch(function () { /* offline: keep the keys we have */ });
  }

  // --- the code, checked with no network -----------------------------------------------------------

  function CodeProblem(name) { this.name = name; }

  function bytesOf(base64url) {
    var b64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var binary = window.atob(b64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // The token's fields, without checking the signature (see vouchers/codes.py for the layout).
  function parseToken(token) {
    // learn's practice code (core/practice.py): say what it is, as the server does, not "not a code".
    if (/^\s*YBT-PRACTICE:/i.test(token || "")) throw new CodeProblem("practice");
    if (!token || token.length > 400 || !/^[A-Za-z0-9_-]+$/.test(token)) throw new CodeProblem("malformed");
    var bytes;
    try {
      bytes = bytesOf(token);
    } catch (e) {
      throw new CodeProblem("malformed");
    }
    if (bytes.length !== TOKEN_LENGTH || bytes[0] !== 1) throw new CodeProblem("malformed");
    var view = new DataView(bytes.buffer);
    return {
      bytes: bytes,
      kid: hex(bytes.slice(1, 5)),
      issuedAt: Number(view.getBigUint64(21, false)),
      nonce: hex(bytes.slice(29, SIGNED_LENGTH)),
    };
  }

  function verifyOffline(token) {
    var claims;
    try {
      claims = parseToken(token);
    } catch (problem) {
      return Promise.reject(problem);
    }
    var cached = readJson(KEYS_KEY, null);
    var keys = cached && Array.isArray(cached.keys) ? cached.keys : [];
    if (!keys.length) return Promise.reject(new CodeProblem("no-keys"));
    var key = keys.filter(function (k) { return k.kid === claims.kid; })[0];
    if (!key) return Promise.reject(new CodeProblem("forged"));
    if (!window.crypto || !window.crypto.subtle) return Promise.reject(new CodeProblem("no-crypto"));
    return window.crypto.subtle
      .importKey("raw", bytesOf(key.public_key), { name: "Ed25519" }, false, ["verify"])
      .catch(function () { throw new CodeProblem("no-crypto"); })
      .then(function (publicKey) {
        return window.crypto.subtle.verify(
          { name: "Ed25519" }, publicKey, claims.bytes.slice(SIGNED_LENGTH), claims.bytes.slice(0, SIGNED_LENGTH));
      })
      .then(function (valid) {
        if (!valid) throw new CodeProblem("forged");
        var now = Math.floor(Date.now() / 1000);
        if (claims.issuedAt > now + CLOCK_SKEW_SECONDS) throw new CodeProblem("clock");
        if (now - claims.issuedAt > TTL_SECONDS) throw new CodeProblem("expired");
        var queued = loadQueue().some(function (entry) {
          try { return parseToken(entry.code).nonce === claims.nonce; } catch (e) { return false; }
        });
        if (queued) throw new CodeProblem("used");
        return claims;
      });
  }

  // --- the bill ----------------------------------------------------------------------------------

  function catalogueItem(code) {
    if (!catalogue || !code) return null;
    var wanted = code.trim().toUpperCase();
    for (var i = 0; i < catalogue.options.length; i++) {
      var option = catalogue.options[i];
      if (option.value && option.value === wanted) {
        return {
          code: option.value, name: option.getAttribute("data-name"),
          category: option.getAttribute("data-category"), unit_price: option.getAttribute("data-price"),
        };
      }
    }
    return null;
  }

  function fieldOf(row, name) { return row.querySelector('[data-field="' + name + '"]'); }

  function valueOf(row, name) {
    var field = fieldOf(row, name);
    return field ? field.value.trim() : "";
  }

  function isBlank(row) {
    return !["code", "name", "quantity", "unit_price"].some(function (name) { return valueOf(row, name); });
  }

  function positive(textValue, places) {
    var pattern = places === 2 ? /^\d+(\.\d{1,2})?$/ : /^\d+(\.\d{1,3})?$/;
    return pattern.test(textValue) && parseFloat(textValue) > 0;
  }

  // The filled rows as bill items, or the number of the first row that is not right.
  function collectItems() {
    var items = [];
    var rows = rowsBody.querySelectorAll("tr[data-row]");
    for (var i = 0; i < rows.length; i++) {
      if (isBlank(rows[i])) continue;
      var n = items.length + 1;
      var known = catalogueItem(valueOf(rows[i], "code"));
      var item = {
        code: known ? known.code : valueOf(rows[i], "code"),
        name: valueOf(rows[i], "name") || (known ? known.name : ""),
        category: (valueOf(rows[i], "category") || (known ? known.category : "")).toUpperCase(),
        quantity: valueOf(rows[i], "quantity") || "1",
        unit_price: valueOf(rows[i], "unit_price") || (known ? known.unit_price : ""),
      };
      var good = item.code && item.name && ["A", "B", "C"].indexOf(item.category) >= 0 &&
        positive(item.quantity, 3) && positive(item.unit_price, 2);
      if (!good) return { items: items, badRow: n };
      items.push(item);
    }
    return { items: items, badRow: 0 };
  }

  function addRow() {
    var rows = rowsBody.querySelectorAll("tr[data-row]");
    if (rows.length >= MAX_ROWS) return null;
    var next = 0;
    rows.forEach(function (row) { next = Math.max(next, parseInt(row.getAttribute("data-row"), 10) + 1); });
    var clone = rows[rows.length - 1].cloneNode(true);
    clone.setAttribute("data-row", String(next));
    var header = clone.querySelector("th");
    header.id = "counter-row-" + next;
    header.textContent = text("row", { n: rows.length + 1 });
    clone.querySelectorAll("[data-field]").forEach(function (field) {
      var name = field.getAttribute("data-field");
      field.name = "item-" + next + "-" + name;
      field.setAttribute("aria-labelledby", "counter-row-" + next + " counter-col-" + COLUMN[name]);
      field.value = "";
      field.removeAttribute("data-filled");
    });
    rowsBody.appendChild(clone);
    return clone;
  }

  function firstBlankRow() {
    var rows = rowsBody.querySelectorAll("tr[data-row]");
    for (var i = 0; i < rows.length; i++) if (isBlank(rows[i])) return rows[i];
    return addRow();
  }

  function pickFromCatalogue() {
    var item = catalogueItem(catalogue.value);
    catalogue.value = "";
    if (!item) return;
    var row = firstBlankRow();
    if (!row) return;
    fieldOf(row, "code").value = item.code;
    fieldOf(row, "name").value = item.name;
    fieldOf(row, "category").value = item.category;
    fieldOf(row, "quantity").value = "1";
    fieldOf(row, "unit_price").value = item.unit_price;
    fieldOf(row, "quantity").focus();
    fieldOf(row, "quantity").select();
  }

  // An item code typed (or picked from the list under the box) fills in its name, category and price, unless
  // the operator has typed her own there; a changed code replaces what the last one filled in.
  function fillFromCode(codeField) {
    var row = codeField.closest("tr[data-row]");
    if (!row) return;
    var item = catalogueItem(codeField.value);
    ["name", "category", "unit_price"].forEach(function (name) {
      var field = fieldOf(row, name);
      if (!field) return;
      var ours = field.getAttribute("data-filled") === "true";
      if (item && (ours || !field.value.trim())) {
        field.value = item[name];
        field.setAttribute("data-filled", "true");
      } else if (!item && ours) {
        field.value = "";
        field.removeAttribute("data-filled");
      }
    });
  }

  function clearForm() {
    rowsBody.querySelectorAll("[data-field]").forEach(function (field) {
      field.value = "";
      field.removeAttribute("data-filled");
    });
    // The next patient's bill is not for the last one's condition.
    if (form.elements.condition) form.elements.condition.value = "";
    codeInput.value = "";
    codeInput.focus();
  }

  function rescan() {
    codeInput.focus();
    codeInput.select();
  }

  // --- offline capture and upload ----------------------------------------------------------------

  // "12.5" yuan -> 1250 fen, in whole numbers so no floating point creeps into the limit check.
  function fen(amount) {
    var match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(String(amount).trim());
    if (!match) return 0;
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }

  // The bill's total in fen, rounded half up per item as the server does (quantity has up to 3 decimals).
  function totalFen(items) {
    return items.reduce(function (sum, item) {
      var q = /^(\d+)(?:\.(\d{1,3}))?$/.exec(item.quantity);
      var thousandths = parseInt(q[1], 10) * 1000 + parseInt(((q[2] || "") + "000").slice(0, 3), 10);
      return sum + Math.floor((thousandths * fen(item.unit_price) + 500) / 1000);
    }, 0);
  }

  function yuanText(amountFen) {
    return Math.floor(amountFen / 100) + "." + ("0" + (amountFen % 100)).slice(-2);
  }

  function captureOffline() {
    if (!OFFLINE_ENABLED) return show("error", text("offline-off"));
    var token = codeInput.value.trim();
    var bill = collectItems();
    if (bill.badRow) return show("error", text("bad-row", { n: bill.badRow }));
    if (!bill.items.length) return show("error", text("empty-bill"));
    var total = totalFen(bill.items);
    if (total > FLOOR_LIMIT_FEN) return show("error", text("over-limit", { total: yuanText(total) }));
    verifyOffline(token).then(function () {
      var queue = loadQueue();
      queue.push({
        client_id: window.crypto.randomUUID(),
        captured_at: new Date().toISOString(),
        code: token,
        visit_type: form.elements.visit_type.value,
        condition: (form.elements.condition && form.elements.condition.value) || null,
        items: bill.items,
      });
      saveQueue(queue);
      show("ok", text("saved"), true);
      clearForm();
    }, function (problem) {
      show("error", text(problem instanceof CodeProblem ? problem.name : "no-crypto"));
      rescan();
    });
  }

  function describe(result) {
    if (result.ok) {
      return text("uploaded", {
        name: result.masked_name || "", status: result.status_label || result.status || "", total: result.total || "",
      });
    }
    return text("upload-refused", { message: result.message || result.error || "" });
  }

  function upload() {
    if (!OFFLINE_ENABLED || uploading || navigator.onLine === false) return;
    var chunk = loadQueue().slice(0, BATCH_SIZE);
    if (!chunk.length) return;
    uploading = true;
    queueOut.textContent = text("uploading", { n: chunk.length });
    fetch(root.getAttribute("data-batch-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json", Accept: "application/json",
        "X-CSRFToken": root.getAttribute("data-csrf-token"),
      },
      body: JSON.stringify({ settlements: chunk }),
    })
      .then(function (response) {
        if (response.status !== 200) throw new Error("upload answered " + response.status);
        return response.json();
      })
      .then(function (body) {
        // Every answer is final: settled (or already settled under this client_id), or refused for
        // a reason an upload again would not change. Those leave the queue; nothing else does.
        var answered = {};
        (body.results || []).forEach(function (result) {
          answered[result.client_id] = true;
          var li = document.createElement("li");
          li.className = result.ok ? "counter-upload-ok" : "counter-upload-refused";
          li.setAttribute("data-ok", result.ok ? "true" : "false");
          li.textContent = describe(result);
          uploadsOut.insertBefore(li, uploadsOut.firstChild);
        });
        saveQueue(loadQueue().filter(function (entry) { return !answered[entry.client_id]; }));
        uploading = false;
        if (!loadQueue().length && offlineNoteShown()) show("ok", "");  // sent: "saved, will upload" is over
        if (Object.keys(answered).length && loadQueue().length) upload();
      })
      .catch(function () {
        uploading = false;
        renderQueue();
        var li = document.createElement("li");
        li.className = "counter-upload-later";
        li.textContent = text("upload-later");
        uploadsOut.insertBefore(li, uploadsOut.firstChild);
      });
  }

  // --- wiring ------------------------------------------------------------------------------------

  document.querySelectorAll("[data-js-only]").forEach(function (element) { element.hidden = false; });
  if (catalogue) catalogue.addEventListener("change", pickFromCatalogue);
  if (addButton) {
    addButton.addEventListener("click", function () {
      var row = addRow();
      if (row) fieldOf(row, "code").focus();
    });
  }

  rowsBody.addEventListener("input", function (event) {
    var field = event.target;
    if (field.getAttribute("data-field") === "code") fillFromCode(field);
    else if (field.hasAttribute("data-filled")) field.removeAttribute("data-filled");  // she typed her own
  });
  rowsBody.addEventListener("change", function (event) {
    var field = event.target;
    if (field.getAttribute("data-field") === "code") fillFromCode(field);
    else if (field.hasAttribute("data-filled")) field.removeAttribute("data-filled");
  });

  // 提交结算 pressed twice (a double click, an impatient second press): the button is off while the first is
  // on its way and for a moment after it is accepted, so the second press sends nothing. (If a second one
  // gets through anyway, the server answers with the first one's result.)
  var submitButton = form.querySelector('button[type="submit"]');
  var HOLD_AFTER_MS = 1000;
  function holdSubmit(on) {
    if (!submitButton) return;
    submitButton.disabled = on;
    submitButton.setAttribute("aria-busy", on ? "true" : "false");
  }
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt === form) holdSubmit(true);
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt !== form) return;
    var accepted = event.detail.successful && event.detail.xhr &&
      event.detail.xhr.getResponseHeader("X-Counter-Outcome") === "accepted";
    window.setTimeout(function () { holdSubmit(false); }, accepted ? HOLD_AFTER_MS : 0);
  });
  form.addEventListener("submit", function () {
    // Without htmx (the page's plain post) the button is off until the answer replaces the page.
    if (!window.htmx) holdSubmit(true);
  });

  // A USB scanner types the code and Enter. With no items yet, Enter moves on to the items instead.
  codeInput.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || collectItems().items.length) return;
    event.preventDefault();
    show("ok", text("scan-first"));
    var row = rowsBody.querySelector("tr[data-row]");
    if (row) fieldOf(row, "code").focus();
  });

  document.body.addEventListener("htmx:confirm", function (event) {
    if ((event.detail.elt === form || event.target === form) && navigator.onLine === false) {
      event.preventDefault();
      captureOffline();
    }
  });
  document.body.addEventListener("htmx:sendError", function (event) {
    if (event.detail.elt === form) captureOffline();
  });
  document.body.addEventListener("htmx:responseError", function (event) {
    // A gateway that cannot reach the portal: the same as no network.
    if (event.detail.elt === form && event.detail.xhr && event.detail.xhr.status >= 502) captureOffline();
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt !== form || !event.detail.successful) return;
    if (event.detail.xhr.getResponseHeader("X-Counter-Outcome") === "accepted") clearForm();
    else rescan();
  });

  window.addEventListener("online", function () {
    renderNetwork();
    if (offlineNoteShown()) show("ok", loadQueue().length ? text("back-online") : "", true);
    refreshKeys();
    upload();
  });
  window.addEventListener("offline", renderNetwork);
  window.setInterval(upload, 30000);

  // The service worker keeps this page and its scripts, so a reload without network still opens it with its
  // queue (counter/templates/counter/sw.js). The first time, before the worker looks after this page, the
  // page and what it loaded are kept here, so the very next reload already works offline.
  function keepForOffline() {
    if (!("serviceWorker" in navigator) || !window.caches || navigator.onLine === false) return;
    var workerUrl = root.getAttribute("data-sw-url");
    if (!workerUrl) return;
    navigator.serviceWorker.register(workerUrl, { scope: root.getAttribute("data-sw-scope") || "./" })
      .then(function () {
        if (navigator.serviceWorker.controller) return null;
        var urls = [window.location.pathname];
        document.querySelectorAll("script[src], link[rel=stylesheet][href], link[rel=icon][href]").forEach(function (el) {
          var url = new URL(el.getAttribute("src") || el.getAttribute("href"), window.location.href);
          if (url.origin === window.location.origin) urls.push(url.pathname + url.search);
        });
        return window.caches.open(root.getAttribute("data-sw-cache")).then(function (cache) {
          return Promise.all(urls.map(function (url) {
            return fetch(url, { credentials: "same-origin" }).then(function (response) {
              if (response.ok && !response.redirected) return cache.put(new URL(url, window.location.href).href, response);
              return null;
            });
          }));
        });
      })
      .catch(function () { /* no offline copy this time; the counter works online as before */ });
  }

  renderNetwork();
  renderQueue();
  refreshKeys();
  upload();
  keepForOffline();
})();
