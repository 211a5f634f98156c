// Kiosk idle timer (帮办). The server ends a session after 2 minutes without activity; this page counts
// the same 2 minutes from the last time the server heard from it. In the last 30 s it shows a countdown on
// the page (not a pop-up) with "继续". "继续" (and any touch or key press, at most every 10 s) tells the
// server she is still here, so the count starts again on both sides. At zero the session is ended and the
// kiosk is wiped; the browser then shows the start of the kiosk, with nothing of her.
(function () {
  "use strict";
  var box = document.getElementById("idle-warning");
  if (!box) return;
  var left = box.querySelector("[data-idle-left]");
  var button = box.querySelector("[data-idle-continue]");
  var touchUrl = box.getAttribute("data-touch-url");
  var TOUCH_EVERY = 10;
  var idle = 0;  // seconds since the server last heard from this page
  var ending = false;

  function total() { return parseInt(box.getAttribute("data-idle-seconds") || "120", 10); }

  function hide() {
    box.hidden = true;
  }

  function touch() {
    idle = 0;
    hide();
    if (!touchUrl) return;
    fetch(touchUrl, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      // Ended meanwhile (elsewhere, or by the server): show that, not her page.
      if (response.status === 410 || response.status === 404) window.location.reload();
    }, function () {});
  }

  ["click", "keydown", "touchstart", "input"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var target = event.target;
      if (target && target.closest && target.closest("#idle-warning")) return;  // "继续" answers for itself
      if (!box.hidden || idle >= TOUCH_EVERY) touch();
    }, true);
  });
  button.addEventListener("click", touch);

  function end() {
    ending = true;
    var form = document.createElement("form");
    form.method = "post";
    form.action = box.getAttribute("data-end-url");
    var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    [["csrfmiddlewaretoken", csrf ? csrf.value : ""], ["reason", "timeout"]].forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = pair[0];
      input.value = pair[1];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  setInterval(function () {
    if (ending) return;
    idle += 1;
    var limit = total();
    var remaining = Math.max(0, limit - idle);
    if (remaining <= 30) {
      left.textContent = String(remaining);
      if (box.hidden) {
        box.hidden = false;
        button.focus({ preventScroll: true });
      }
    }
    if (idle >= limit) end();
  }, 1000);

  // A page brought back from the browser's memory (back button) is asked for again: if the session has
  // ended, the server answers with nothing of her.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });
})();
