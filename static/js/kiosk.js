// Kiosk idle timer: after 90 s without a touch, count down 30 s on the page (not a pop-up); "继续" keeps
// going; at zero the session ends and the kiosk goes back to the start screen, wiped.
(function () {
  "use strict";
  var box = document.getElementById("idle-warning");
  if (!box) return;
  var total = parseInt(box.getAttribute("data-idle-seconds") || "120", 10);
  var warnAt = Math.max(0, total - 30);
  var idle = 0;
  var left = box.querySelector("[data-idle-left]");
  function reset() { idle = 0; box.hidden = true; }
  ["click", "keydown", "touchstart", "input"].forEach(function (name) {
    document.addEventListener(name, function (e) {
      if (e.target && e.target.closest && e.target.closest("#idle-warning") && !e.target.closest("[data-idle-continue]")) return;
      reset();
    }, true);
  });
  box.querySelector("[data-idle-continue]").addEventListener("click", reset);
  setInterval(function () {
    idle += 1;
    if (idle >= warnAt) { box.hidden = false; left.textContent = String(Math.max(0, total - idle)); }
    if (idle >= total) {
      var form = document.createElement("form");
      form.method = "post";
      form.action = box.getAttribute("data-end-url");
      var csrf = document.querySelector("#end-form input[name=csrfmiddlewaretoken]");
      [["csrfmiddlewaretoken", csrf ? csrf.value : ""], ["reason", "timeout"]].forEach(function (kv) {
        var input = document.createElement("input");
        input.type = "hidden"; input.name = kv[0]; input.value = kv[1];
        form.appendChild(input);
      });
      document.body.appendChild(form);
      form.submit();
    }
  }, 1000);
})();
