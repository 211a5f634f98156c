// After a submit the page puts her where she has to look next, scrolled into view and
// focused so a screen reader reads it:
//   1. the form's own error under the title (role=alert, read aloud by voice.js when voice is on);
//   2. else the first field with an error: its box, whose label and error (aria-describedby) are read with it;
//   3. else the field the page asks for next (data-focus-next), e.g. the code box after 获取验证码, with the
//      "验证码已发到…" notice added to what is read for it.
// Without JavaScript the error is still right under the page title.
(function () {
  "use strict";
  function describeWith(target, note) {
    if (!note) return;
    if (!note.id) note.id = "focus-note-" + Math.random().toString(36).slice(2);
    var ids = (target.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (ids.indexOf(note.id) === -1) ids.unshift(note.id);
    target.setAttribute("aria-describedby", ids.join(" "));
  }
  function target() {
    var main = document.querySelector("main") || document.body;
    var formError = main.querySelector(".alert[data-error-focus]");
    if (formError) return formError;
    var field = main.querySelector(".field-has-error");
    if (field) return field.querySelector("input:not([type=hidden]), select, textarea") || field.querySelector("[data-error-focus]");
    var lone = main.querySelector("[data-error-focus]");
    if (lone) return lone;
    var next = main.querySelector("[data-focus-next]");
    if (next) describeWith(next, main.querySelector(".alert-ok[role=status]"));
    return next;
  }
  function focusWhereToLook() {
    var el = target();
    if (!el) return;
    if (!el.matches("input, select, textarea, button, a[href]") && !el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
    try { el.focus({ preventScroll: true }); } catch (e) { el.focus(); }
    el.scrollIntoView({ block: "center" });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusWhereToLook);
  else focusWhereToLook();
})();
