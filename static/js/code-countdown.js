// The visible countdown on the code card. htmx replaces the card every 30 s; this only counts.
(function () {
  "use strict";
  function tick() {
    var card = document.getElementById("code-card");
    if (!card) return;
    // Count from when this card appeared, so a phone with a wrong clock still counts right.
    if (!card._shownAt) card._shownAt = Date.now();
    var refresh = parseInt(card.getAttribute("data-refresh"), 10);
    var out = card.querySelector("[data-countdown]");
    if (!out) return;
    var left = Math.max(0, refresh - Math.floor((Date.now() - card._shownAt) / 1000));
    out.textContent = String(left);
  }
  setInterval(tick, 1000);
  document.addEventListener("htmx:afterSwap", tick);
  tick();
})();
