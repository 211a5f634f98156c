// 帮办点: "用我的位置找最近的" asks the browser for its position and sends it as lat/lng (GET). Nothing else
// leaves the browser and no map service is called. Refused or not available: the form is sent with denied=1,
// and the page says so in plain words; the district search works with or without this file.
(function () {
  "use strict";
  var form = document.getElementById("help-point-search");
  if (!form) { return; }
  var button = form.querySelector("[data-geo-button]");
  var status = form.querySelector("[data-geo-status]");
  function field(name) { return form.querySelector('[data-geo="' + name + '"]'); }
  function send(lat, lng, denied) {
    field("lat").value = lat; field("lng").value = lng; field("denied").value = denied ? "1" : "";
    var near = document.createElement("input");
    near.type = "hidden"; near.name = "near"; near.value = "1";
    form.appendChild(near);
    form.submit();
  }
  button.addEventListener("click", function (event) {
    event.preventDefault();
    if (!("geolocation" in navigator)) { send("", "", true); return; }
    button.disabled = true;
    if (status) { status.textContent = button.getAttribute("data-waiting") || "正在找您的位置…"; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      send(pos.coords.latitude.toFixed(6), pos.coords.longitude.toFixed(6), false);
    }, function () { send("", "", true); }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
  });
}());
