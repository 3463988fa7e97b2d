// The dashboards' small behaviours, as a file: the Content-Security-Policy runs no inline script.
(function () {
  "use strict";

  // A chosen preset wins over dates on the server; so typing a date picks "Atur sendiri", and
  // picking a preset clears the dates (without JavaScript, choose "Atur sendiri" yourself).
  var form = document.getElementById("saring-data");
  if (form) {
    var preset = form.elements.periode, start = form.elements.dari, end = form.elements.sampai;
    if (preset && start && end) {
      var custom = function () { if (start.value || end.value) preset.value = "atur"; };
      start.addEventListener("change", custom);
      end.addEventListener("change", custom);
      preset.addEventListener("change", function () {
        if (preset.value !== "atur") { start.value = ""; end.value = ""; }
      });
    }
  }

  // "Cetak / simpan PDF" on the monthly report.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
