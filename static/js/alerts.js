// An error the server answered with (a form's own error under the title, or a field's error) gets the focus
// when the page opens, so it is on screen and a screen reader reads it first. Without JavaScript the error is
// still right under the page title.
(function () {
  "use strict";
  function focusError() {
    var error = document.querySelector("main [data-error-focus]");
    if (!error) return;
    if (!error.hasAttribute("tabindex")) error.setAttribute("tabindex", "-1");
    error.focus();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusError);
  else focusError();
})();
