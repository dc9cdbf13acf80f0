/* The counter's code input: groups what is typed into XXXX-XXXX-XXXX-XXXX-X as the voucher
   shows it, and, where the browser has the BarcodeDetector API and a camera, scans the QR code.
   Progressive enhancement only: without this file the form works the same. */
(function () {
  "use strict";
  var ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  var LENGTH = 17;

  function clean(text) {
    var out = "";
    text = String(text || "").toUpperCase().replace(/O/g, "0").replace(/[IL]/g, "1");
    for (var i = 0; i < text.length && out.length < LENGTH; i++) {
      if (ALPHABET.indexOf(text[i]) !== -1) { out += text[i]; }
    }
    return out;
  }

  function group(symbols) {
    var parts = [];
    for (var i = 0; i < symbols.length; i += 4) { parts.push(symbols.slice(i, i + 4)); }
    return parts.join("-");
  }

  function enhanceInput(input) {
    input.addEventListener("input", function () {
      var atEnd = input.selectionStart === input.value.length;
      var grouped = group(clean(input.value));
      if (grouped !== input.value) {
        input.value = grouped;
        if (atEnd) { input.setSelectionRange(grouped.length, grouped.length); }
      }
    });
  }

  function enhanceScan(form, input) {
    var button = form.querySelector("[data-scan]");
    var video = form.querySelector("[data-scan-video]");
    var status = form.querySelector("[data-scan-status]");
    if (!button || !video || !("BarcodeDetector" in window) || !navigator.mediaDevices ||
        !navigator.mediaDevices.getUserMedia) { return; }
    window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") === -1) { return; }
      button.hidden = false;
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      var stream = null;
      function stop() {
        if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
        video.hidden = true;
      }
      function look() {
        if (!stream) { return; }
        detector.detect(video).then(function (codes) {
          var found = codes.length ? clean(codes[0].rawValue) : "";
          if (found.length === LENGTH) {
            stop();
            input.value = group(found);
            form.submit();
          } else {
            window.setTimeout(look, 200);
          }
        }).catch(function () { window.setTimeout(look, 400); });
      }
      button.addEventListener("click", function () {
        if (stream) { stop(); return; }
        navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
          .then(function (s) {
            stream = s;
            video.srcObject = s;
            video.hidden = false;
            if (status) { status.textContent = ""; }
            return video.play();
          })
          .then(look)
          .catch(function () {
            stop();
            if (status) { status.textContent = button.getAttribute("data-camera-error") || ""; }
          });
      });
    }).catch(function () {});
  }

  document.querySelectorAll("[data-counter-form]").forEach(function (form) {
    var input = form.querySelector("[data-code-input]");
    if (!input) { return; }
    enhanceInput(input);
    enhanceScan(form, input);
  });
}());
