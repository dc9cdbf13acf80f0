/* Rules, claims and record card pages: small enhancements; every page works without them. */
(function () {
  "use strict";

  // Printable record card: a button that opens the print dialog.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // Claim photo: say at once when a file is over the limit, instead of after the upload.
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var note = document.createElement("p");
    note.className = "field__error";
    note.setAttribute("role", "alert");
    note.hidden = true;
    input.parentNode.insertBefore(note, input);
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      var tooLarge = file && file.size > Number(input.dataset.maxBytes);
      note.textContent = tooLarge ? input.dataset.tooLarge : "";
      note.hidden = !tooLarge;
      if (tooLarge) { input.value = ""; }
    });
  });

  // Award page: filter the list of people as one types (the search form works without it).
  document.querySelectorAll("input[data-filter-list]").forEach(function (input) {
    var list = document.getElementById(input.dataset.filterList);
    if (!list) { return; }
    input.hidden = false;
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      list.querySelectorAll("li[data-filter-text]").forEach(function (item) {
        var text = item.dataset.filterText.toLowerCase();
        item.hidden = needle !== "" && text.indexOf(needle) === -1;
      });
    });
  });
})();
