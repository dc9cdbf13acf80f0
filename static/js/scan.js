/* Camera scanning for code fields (pickup codes, resident cards).
   Progressive: without a camera, or without JavaScript, the field is typed as usual.
   Decodes with the browser's BarcodeDetector where it exists, else with the vendored jsQR
   (static/vendor/jsQR-1.4.0.js, Apache-2.0). On a result the field is filled and its form
   submitted. */
(function () {
  "use strict";
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  var hasDetector = "BarcodeDetector" in window;
  if (!hasDetector && typeof window.jsQR !== "function") return;

  function startScanner(input, button) {
    var box = document.createElement("div");
    box.className = "scanner";
    var video = document.createElement("video");
    video.setAttribute("playsinline", "");
    video.muted = true;
    var stop = document.createElement("button");
    stop.type = "button";
    stop.className = "button button--block";
    stop.textContent = button.getAttribute("data-stop-label");
    box.appendChild(video);
    box.appendChild(stop);
    input.parentNode.appendChild(box);
    button.hidden = true;

    var stream = null;
    var running = true;
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    var detector = hasDetector ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;

    function finish() {
      running = false;
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      box.remove();
      button.hidden = false;
    }
    function found(text) {
      finish();
      input.value = text;
      if (input.form) input.form.submit();
    }
    function tick() {
      if (!running) return;
      if (video.readyState < 2) { requestAnimationFrame(tick); return; }
      if (detector) {
        detector.detect(video).then(function (codes) {
          if (codes.length) found(codes[0].rawValue); else requestAnimationFrame(tick);
        }).catch(function () { requestAnimationFrame(tick); });
        return;
      }
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      if (code && code.data) found(code.data); else setTimeout(function () { requestAnimationFrame(tick); }, 120);
    }
    stop.addEventListener("click", finish);
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) { stream = s; video.srcObject = s; return video.play(); })
      .then(function () { requestAnimationFrame(tick); })
      .catch(function () { finish(); input.focus(); });
  }

  document.querySelectorAll("input[data-qr-target]").forEach(function (input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--block scan-button";
    button.textContent = input.getAttribute("data-scan-label");
    button.setAttribute("data-stop-label", input.getAttribute("data-stop-label"));
    input.insertAdjacentElement("afterend", button);
    button.addEventListener("click", function () { startScanner(input, button); });
  });
})();
