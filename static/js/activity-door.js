// The door screen: keep the 6-digit code current without reloading the page.
// Without JavaScript the page still shows the code and a Refresh link.
(function () {
  "use strict";
  var el = document.querySelector("[data-test=door-code]");
  var seconds = document.querySelector("[data-door-seconds]");
  if (!el || !window.fetch) { return; }
  var url = el.getAttribute("data-url");
  function refresh() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        el.textContent = data.code.slice(0, 3) + " " + data.code.slice(3);
        if (seconds) { seconds.textContent = seconds.textContent.replace(/\d+/, String(data.seconds_left)); }
      })
      .catch(function () { /* offline for a moment: the next tick tries again */ });
  }
  setInterval(refresh, 5000);
})();
