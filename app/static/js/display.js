// The door screen: fetch the next rotating code before the current one stops, show the live count.
(function () {
  "use strict";
  var body = document.body;
  var stateUrl = body.dataset.stateUrl;
  var step = parseInt(body.dataset.step, 10) || 20;
  var image = document.getElementById("checkin-qr");
  var offline = document.getElementById("display-offline");

  function show(state) {
    image.src = state.qr;
    image.dataset.url = state.url;
    document.getElementById("present").textContent = state.present;
    document.getElementById("enrolled").textContent = state.enrolled;
    document.getElementById("women").textContent = state.women_present;
    offline.hidden = true;
    // The server's clock decides: wait until its next step, whatever this screen's clock says.
    var wait = Date.parse(state.refresh_at) - Date.parse(state.server_now || new Date().toISOString());
    schedule(Math.min(Math.max(wait, 1000), step * 1000) + 200);
  }

  function refresh() {
    fetch(stateUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(show)
      .catch(function () { offline.hidden = false; schedule(3000); });
  }

  var timer = null;
  function schedule(ms) { clearTimeout(timer); timer = setTimeout(refresh, ms); }
  schedule(1000);
})();
