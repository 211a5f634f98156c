// No time pressure: two minutes before the session would end, say so on the page (not a pop-up) and
// let one tap keep it going. Any page load or keep-alive starts the count again.
(function () {
  "use strict";
  var body = document.body;
  var seconds = parseInt(body.getAttribute("data-session-seconds") || "0", 10);
  var box = document.getElementById("session-warning");
  if (!seconds || !box) return;
  var timer;
  function arm() {
    clearTimeout(timer);
    box.hidden = true;
    timer = setTimeout(function () { box.hidden = false; box.querySelector("button").focus(); },
                       Math.max(0, (seconds - 120) * 1000));
  }
  box.querySelector("button").addEventListener("click", function () {
    fetch("/elder/keepalive/", { credentials: "same-origin" }).then(arm, arm);
  });
  arm();
})();
