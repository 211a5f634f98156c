// "开始录音" on the complaint form: records from the phone's microphone with MediaRecorder and puts the recording
// into the form's file field, so the form posts it like any upload (the server checks it: feedback/audio.py).
// Stops by itself at two minutes. Without JavaScript, or without a microphone, the recorder stays hidden and
// she types, or picks a recording with the file field.
(function () {
  "use strict";
  var box = document.querySelector("[data-recorder]");
  var input = document.querySelector("input[type=file][name=recording]");
  if (!box || !input || !window.MediaRecorder || !navigator.mediaDevices || !window.DataTransfer) return;
  var start = box.querySelector("[data-record-start]");
  var stop = box.querySelector("[data-record-stop]");
  var status = box.querySelector("[data-record-status]");
  var playback = box.querySelector("[data-record-playback]");
  var LIMIT_MS = 120000;
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
        var file = new File([blob], "recording." + extension(blobType), { type: blobType });
        var transfer = new DataTransfer();
        transfer.items.add(file);
        input.files = transfer.files;
        playback.src = URL.createObjectURL(blob);
        playback.hidden = false;
        start.hidden = false;
        stop.hidden = true;
        say("data-said-recorded");
        box.setAttribute("data-recorded", "yes");
      });
      recorder.start(1000);
      start.hidden = true;
      stop.hidden = false;
      stop.focus();
      say("data-said-recording");
      timer = setTimeout(function () {
        if (recorder && recorder.state === "recording") { recorder.stop(); say("data-said-too-long"); }
      }, LIMIT_MS);
    }, function () { say("data-said-denied"); });
  });
  stop.addEventListener("click", function () {
    if (recorder && recorder.state === "recording") recorder.stop();
  });
})();
