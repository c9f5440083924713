// The organiser's scanner: camera (jsQR) or a USB/Bluetooth scanner typing into the field.
// Every scan gets a nonce and its time, goes into a queue kept in localStorage, and the queue is
// sent whenever the network allows; the server treats a nonce seen before as the same scan.
(function () {
  "use strict";
  var root = document.getElementById("scanner");
  var key = "da7-scan-queue-" + root.dataset.session;
  var deviceKey = "da7-scanner-device";
  var sending = false;

  function text(name) { return root.dataset[name] || ""; }
  function randomId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function device() {
    var id = localStorage.getItem(deviceKey);
    if (!id) { id = randomId(); localStorage.setItem(deviceKey, id); }
    return id;
  }
  function load() { try { return JSON.parse(localStorage.getItem(key)) || []; } catch (e) { return []; } }
  function save(queue) { localStorage.setItem(key, JSON.stringify(queue)); }

  function showQueue() {
    var n = load().length;
    document.getElementById("queue-state").textContent = n ? text("msgQueued").replace("{n}", n) : "";
  }

  function show(result) {
    var box = document.getElementById("last-result");
    box.hidden = false;
    box.className = "card " + (result.status === "refused" ? "result-refused" : "result-ok");
    box.textContent = "";
    var title = document.createElement("strong");
    if (result.status === "checked_in") { title.textContent = text("msgChecked"); }
    else if (result.status === "already_checked_in") { title.textContent = text("msgAlready") + " " + result.checked_in_at_text; }
    else { title.textContent = text("msgRefused") + ": " + result.message; }
    box.appendChild(title);
    if (result.person) {
      var who = document.createElement("p");
      var parts = [result.person.full_name];
      if (result.person.unit) { parts.push(result.person.unit); }
      if (result.person.birth_year) { parts.push(text("msgBirth") + " " + result.person.birth_year); }
      if (result.person.id_last_digits) { parts.push(text("msgId") + result.person.id_last_digits); }
      who.textContent = parts.join(" · ");
      box.appendChild(who);
    }
    var item = document.createElement("li");
    item.textContent = new Date().toLocaleTimeString() + " — " + title.textContent + (result.person ? " — " + result.person.full_name : "");
    var history = document.getElementById("history");
    history.insertBefore(item, history.firstChild);
  }

  function send() {
    var queue = load();
    if (sending || !queue.length) { showQueue(); return; }
    sending = true;
    fetch(root.dataset.scansUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": root.dataset.csrf},
      body: JSON.stringify({scans: queue})
    }).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    }).then(function (body) {
      var answered = {};
      body.results.forEach(function (result) { answered[result.nonce] = true; show(result); });
      save(load().filter(function (scan) { return !answered[scan.nonce]; }));
      document.getElementById("present").textContent = body.counts.present;
    }).catch(function () {
      /* offline or server away: the queue stays; retried below */
    }).then(function () { sending = false; showQueue(); });
  }

  var lastCode = null, lastAt = 0;
  function scanned(code) {
    code = (code || "").trim();
    if (!code) { return; }
    var now = Date.now();
    if (code === lastCode && now - lastAt < 5000) { return; }  // the camera sees the same QR many times a second
    lastCode = code; lastAt = now;
    var queue = load();
    queue.push({nonce: randomId(), code: code, scanned_at: new Date().toISOString(), device: device()});
    save(queue);
    // Until the server answers, the card says this scan waits: never leave the previous person's green card up.
    var box = document.getElementById("last-result");
    box.hidden = false;
    box.className = "card result-waiting";
    box.textContent = text("msgWaiting");
    send();
  }

  document.getElementById("manual-scan").addEventListener("submit", function (event) {
    event.preventDefault();
    var field = document.getElementById("code");
    scanned(field.value);
    field.value = "";
    field.focus();
  });

  document.getElementById("camera-start").addEventListener("click", function () {
    var video = document.getElementById("camera");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof jsQR === "undefined") {
      alert(text("msgCamera")); return;
    }
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (stream) {
      video.srcObject = stream; video.hidden = false; video.play();
      var canvas = document.createElement("canvas"), context = canvas.getContext("2d");
      setInterval(function () {
        if (video.readyState < 2) { return; }
        canvas.width = video.videoWidth; canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0);
        var found = jsQR(context.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
        if (found && found.data) { scanned(found.data); }
      }, 250);
    }).catch(function () { alert(text("msgCamera")); });
  });

  window.addEventListener("online", send);
  setInterval(send, 5000);
  send();
})();
