// Passkeys (用指纹或面容解锁): registration on 我的手机 and assertion on the step-up page. The server
// (accounts/passkeys.py, the `webauthn` library) makes the options and checks the answers; this file only
// converts between JSON (base64url) and the browser's ArrayBuffers. A static file because of the CSP.
(function () {
  "use strict";

  function toBytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function say(text) {
    var slot = document.getElementById("passkey-status");
    if (slot) {
      slot.innerHTML = "";
      var p = document.createElement("p");
      p.className = "alert alert-info";
      p.textContent = text;
      slot.appendChild(p);
    }
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: body === undefined ? "{}" : JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.message || ""); }
        return data;
      });
    });
  }

  function descriptors(list) {
    return (list || []).map(function (c) { return {type: c.type, id: toBytes(c.id), transports: c.transports}; });
  }

  function register(box) {
    var csrf = box.dataset.csrf;
    post(box.dataset.optionsUrl, csrf).then(function (options) {
      options.challenge = toBytes(options.challenge);
      options.user.id = toBytes(options.user.id);
      options.excludeCredentials = descriptors(options.excludeCredentials);
      return navigator.credentials.create({publicKey: options});
    }).then(function (credential) {
      var r = credential.response;
      return post(box.dataset.verifyUrl, csrf, {
        id: credential.id, rawId: toB64url(credential.rawId), type: credential.type,
        response: {clientDataJSON: toB64url(r.clientDataJSON), attestationObject: toB64url(r.attestationObject),
                   transports: r.getTransports ? r.getTransports() : []},
        clientExtensionResults: credential.getClientExtensionResults()
      });
    }).then(function (data) {
      say(box.dataset.done);
      window.location.assign(data.next);
    }).catch(function (error) {
      say((error && error.message && error.name === "Error") ? error.message : box.dataset.failed);
    });
  }

  function assert(box) {
    var csrf = box.dataset.csrf;
    post(box.dataset.optionsUrl, csrf).then(function (options) {
      options.challenge = toBytes(options.challenge);
      options.allowCredentials = descriptors(options.allowCredentials);
      return navigator.credentials.get({publicKey: options});
    }).then(function (credential) {
      var r = credential.response;
      return post(box.dataset.verifyUrl, csrf, {next: box.dataset.next, credential: {
        id: credential.id, rawId: toB64url(credential.rawId), type: credential.type,
        response: {clientDataJSON: toB64url(r.clientDataJSON), authenticatorData: toB64url(r.authenticatorData),
                   signature: toB64url(r.signature),
                   userHandle: r.userHandle ? toB64url(r.userHandle) : null},
        clientExtensionResults: credential.getClientExtensionResults()
      }});
    }).then(function (data) {
      say(box.dataset.done);
      window.location.assign(data.next);
    }).catch(function (error) {
      say((error && error.message && error.name === "Error") ? error.message : box.dataset.failed);
    });
  }

  function wire(selector, run) {
    document.querySelectorAll(selector).forEach(function (box) {
      var button = box.querySelector("button");
      if (!window.PublicKeyCredential || !navigator.credentials) {
        button.disabled = true;
        say(box.dataset.unsupported);
        return;
      }
      button.addEventListener("click", function () { run(box); });
    });
  }

  wire("[data-passkey-register]", register);
  wire("[data-passkey-assert]", assert);
}());
