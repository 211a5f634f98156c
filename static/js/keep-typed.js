// What she typed survives a reload of this tab, for the fields marked data-keep only:
// her name and phone. ID numbers, codes and PINs are never marked and never kept (docs/decisions.md,
// "Forms that forgive"). sessionStorage ends with the tab; kiosk pages do not load this script.
(function () {
  "use strict";
  var store;
  try { store = window.sessionStorage; } catch (e) { return; }
  if (!store) return;
  function never(input) {
    return input.type === "password" || input.type === "hidden" ||
      /one-time-code/.test(input.autocomplete || "") || /id_number|code|pin/.test(input.name);
  }
  function key(input) { return "typed:" + location.pathname + ":" + input.name; }
  document.querySelectorAll("input[data-keep]").forEach(function (input) {
    if (never(input)) return;
    var kept = null;
    try { kept = store.getItem(key(input)); } catch (e) { /* storage full or blocked: nothing kept */ }
    if (!input.value && kept) input.value = kept;
    input.addEventListener("input", function () {
      try { store.setItem(key(input), input.value); } catch (e) { /* nothing kept */ }
    });
  });
})();
