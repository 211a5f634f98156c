// "复制" next to a value the page shows once (an offline terminal's secret): copies it and says so next to the
// button, on the page (no pop-up). Where the clipboard cannot be written (a page not served over HTTPS) the
// value is selected, and the note says to press Ctrl+C. Without JavaScript the buttons stay hidden.
(function () {
  "use strict";
  function select(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    var status = button.parentNode.querySelector(".copy-status");
    if (!target) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var say = function (name) { if (status) status.textContent = button.getAttribute(name) || ""; };
      var fallback = function () {
        select(target);
        var copied = false;
        try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
        say(copied ? "data-copied" : "data-select");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          select(target);
          say("data-copied");
        }, fallback);
      } else {
        fallback();
      }
    });
  });
})();
