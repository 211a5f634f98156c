// A pushed notice may also change other parts of the page it concerns ("授权已解除": her code and the acting-for
// banner). It carries those parts as <template data-replace="ID">: each takes the place of the element with
// that id when this page has one, and is dropped when it does not, so no page receives a swap without a place
// (family/templates/family/_access_revoked.html).
(function () {
  "use strict";
  function apply(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll("template[data-replace]").forEach(function (template) {
      var target = document.getElementById(template.getAttribute("data-replace"));
      if (target) target.replaceWith(template.content.cloneNode(true));
      template.remove();
    });
  }
  // htmx fires these on the elements it has just put in (the pushed fragment), and they bubble here.
  document.addEventListener("htmx:oobAfterSwap", function (e) { apply(e.target); });
  document.addEventListener("htmx:afterSwap", function (e) { apply(e.target); });
})();
