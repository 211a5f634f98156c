// "开始录音" on the complaint form and on a dialect sentence (/staff/voice-packs/…/record/): records from the
// microphone with MediaRecorder, lets her play it back, and puts the recording into the form's file field
// ("recording"), so the form posts it like any upload (the server checks it: feedback/audio.py,
// elder_mode/packs/validation.py). Stops by itself at the box's data-limit-seconds (default two minutes).
// Without JavaScript or a microphone the recorder stays hidden and she types, or picks a file.
(function () {
  "use strict";
  var box = document.querySelector("[data-recorder]");
  var input = document.querySelector("input[type=file][name=recording]");
  if (!box || !input || !window.MediaRecorder || !navigator.mediaDevices || !window.DataTransfer) return;
  var start = box.querySelector("[data-record-start]");
  var stop = box.querySelector("[data-record-stop]");
  var status = box.querySelector("[data-record-status]");
  var playback = box.querySelector("[data-record-playback]");
  var limitMs = (parseInt(box.getAttribute("data-limit-seconds"), 10) || 120) * 1000;
  var fileName = box.getAttribute("data-file-name") || "recording";
  var recorder = null;
  var timer = null;
  box.hidden = false;
  function say(name) { status.textContent = status.getAttribute(name) || ""; }
  function kind() {
    var types = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];
    for (var i = 0; i < types.length; i++) {
      if (MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(types[i])) return types[i];
    }
    return "";
  }
  function extension(type) {
    if (type.indexOf("ogg") !== -1) return "ogg";
    if (type.indexOf("mp4") !== -1) return "m4a";
    return "webm";
  }
  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      var chunks = [];
      var type = kind();
      recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
      recorder.addEventListener("dataavailable", function (e) { if (e.data && e.data.size) chunks.push(e.data); });
      recorder.addEventListener("stop", function () {
        clearTimeout(timer);
        stream.getTracks().forEach(function (t) { t.stop(); });
        var blobType = recorder.mimeType || type || "audio/webm";
        var blob = new Blob(chunks, { type: blobType });
        var file = new File([blob], fileName + "." + extension(blobType), { type: blobType });
        var transfer = new DataTransfer();
        transfer.items.add(file);
        input.files = transfer.files;
        if (playback.src) URL.revokeObjectURL(playback.src);
        playback.src = URL.createObjectURL(blob);
        playback.hidden = false;
        if (start.getAttribute("data-again-label")) start.textContent = start.getAttribute("data-again-label");
        start.hidden = false;
        stop.hidden = true;
        start.focus();
        if (status.getAttribute("data-stopped-by-limit") !== "yes") say("data-said-recorded");
        box.setAttribute("data-recorded", "yes");
      });
      status.removeAttribute("data-stopped-by-limit");
      recorder.start(500);
      start.hidden = true;
      stop.hidden = false;
      stop.focus();
      say("data-said-recording");
      timer = setTimeout(function () {
        if (recorder && recorder.state === "recording") {
          status.setAttribute("data-stopped-by-limit", "yes");
          say("data-said-too-long");
          recorder.stop();
        }
      }, limitMs);
    }, function () { say("data-said-denied"); });
  });
  stop.addEventListener("click", function () {
    if (recorder && recorder.state === "recording") recorder.stop();
  });
})();
