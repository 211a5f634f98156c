// Voice guidance. Without JavaScript the "听语音说明" link opens the audio; with it, audio plays in place.
// When the person has turned voice on, each page's guide and each live result plays by itself.
(function () {
  "use strict";
  var root = document.documentElement;
  var player = new Audio();
  function voiceOn() { return root.getAttribute("data-voice") === "on"; }
  // The button whose words are playing says so ("正在播放…停止") and stops them when tapped again.
  var playingButton = null;
  function showPlaying(button) {
    if (playingButton && playingButton !== button) showStopped();
    if (!button) return;
    playingButton = button;
    var label = button.querySelector("[data-voice-label]");
    if (label && !label.hasAttribute("data-idle-label")) label.setAttribute("data-idle-label", label.textContent);
    if (label) label.textContent = button.getAttribute("data-stop-label") || label.textContent;
    button.setAttribute("data-playing", "");
    button.setAttribute("aria-pressed", "true");
  }
  function showStopped() {
    var button = playingButton;
    playingButton = null;
    if (!button) return;
    var label = button.querySelector("[data-voice-label]");
    if (label && label.hasAttribute("data-idle-label")) label.textContent = label.getAttribute("data-idle-label");
    button.removeAttribute("data-playing");
    button.setAttribute("aria-pressed", "false");
  }
  player.addEventListener("ended", showStopped);
  player.addEventListener("pause", showStopped);
  player.addEventListener("error", showStopped);
  function play(url, button) {
    if (!url) return;
    player.pause();
    player.src = url;
    showPlaying(button || null);
    var p = player.play();
    if (p && p.catch) p.catch(function () { showStopped(); /* autoplay refused: the button is still there */ });
  }
  function stop() {
    player.pause();
    showStopped();
  }
  document.addEventListener("click", function (e) {
    var link = e.target.closest ? e.target.closest("[data-voice-play]") : null;
    if (!link) return;
    e.preventDefault();
    if (link === playingButton) { stop(); return; }
    play(link.getAttribute("data-voice-play"), link);
  });
  function sayUrl(text) {
    var lang = root.getAttribute("data-voice-lang") || "cmn";
    var rate = root.getAttribute("data-voice-rate") || "normal";
    return "/elder/voice/say?lang=" + encodeURIComponent(lang) + "&rate=" + encodeURIComponent(rate) +
      "&text=" + encodeURIComponent(text.slice(0, 200));
  }
  var lastSpoken = "";
  function speakResult(el) {
    if (!voiceOn() || !el || !el.getAttribute) return;
    var text = el.getAttribute("data-speak");
    if (!text || text === lastSpoken) return;
    lastSpoken = text;
    play(sayUrl(text));
  }
  function spokenIn(t) {
    if (!t || !t.querySelector) return null;
    return t.matches("[data-speak]") ? t : t.querySelector("[data-speak]");
  }
  // An out-of-band swap fires on the elements just put in (e.target; detail.target is the one replaced), and
  // first on the socket's own element (ws-connect), which holds the whole page: that one is skipped.
  // With hx-swap-oob="innerHTML" (the live regions stay on the page) the region just filled is detail.target.
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    var region = e.detail && e.detail.target;
    if (region && region.isConnected && !region.hasAttribute("ws-connect")) { speakResult(spokenIn(region)); return; }
    if (e.target && e.target.hasAttribute && e.target.hasAttribute("ws-connect")) return;
    speakResult(spokenIn(e.target));
  });
  document.addEventListener("htmx:afterSwap", function (e) { speakResult(spokenIn(e.detail && e.detail.target)); });
  // Only Chinese can be spoken (the say endpoint refuses other letters): an English page keeps its guide.
  function speakable(text) { return !!text && /[\u4e00-\u9fff]/.test(text) && !/[A-Za-z]/.test(text); }
  document.addEventListener("DOMContentLoaded", function () {
    if (!voiceOn()) return;
    // Someone about to give up hears the offer of help first (feedback/_rescue.html), before any error.
    var rescue = document.querySelector("main [data-rescue] [data-voice-guide]");
    if (rescue) { play(rescue.getAttribute("data-voice-guide"), rescue.querySelector("[data-voice-play]")); return; }
    // A page that answers with an error says the error, not the step's guide: that is what she must act on.
    var error = document.querySelector("main [data-error-focus][data-speak], main [role=alert][data-speak]");
    var text = error && error.getAttribute("data-speak");
    if (speakable(text)) {
      lastSpoken = text;
      play(sayUrl(text));
      return;
    }
    var guide = document.querySelector("[data-voice-guide]");
    if (guide) play(guide.getAttribute("data-voice-guide"), guide.querySelector("[data-voice-play]"));
  });
})();
