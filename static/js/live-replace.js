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
    // A pushed form (知道了 on family/_acting_ended.html) is rendered without a request: it gets this page's CSRF
    // token and address here.
    root.querySelectorAll("form[data-fill-csrf]").forEach(function (form) {
      var headers = {};
      try { headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}"); } catch (err) { headers = {}; }
      var field = form.querySelector("input[name=csrfmiddlewaretoken]");
      if (!field) {
        field = document.createElement("input");
        field.type = "hidden";
        field.name = "csrfmiddlewaretoken";
        form.appendChild(field);
      }
      if (headers["X-CSRFToken"]) field.value = headers["X-CSRFToken"];
      var next = form.querySelector("[data-fill-next]");
      if (next && !next.value) next.value = location.pathname;
    });
  }
  // Live regions are filled with hx-swap-oob="innerHTML" (the region stays, so screen readers keep reading it):
  // htmx then fires oobAfterSwap on the socket's element with the filled region as detail.target.
  function swapped(e) {
    var target = e.detail && e.detail.target;
    return target && target.isConnected ? target : e.target;
  }
  document.addEventListener("htmx:oobAfterSwap", function (e) { apply(swapped(e)); });
  document.addEventListener("htmx:afterSwap", function (e) { apply(swapped(e)); });
})();
