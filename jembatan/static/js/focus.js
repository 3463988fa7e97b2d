// After a form comes back with errors, keyboard and screen-reader users start where the problem is:
// focus moves to the error summary (or the form's alert) or, on a form without one, to the
// first invalid field. A link in the summary moves focus into its field (a fragment link alone only
// scrolls), with the field's label in view. Every page works without this file.
(function () {
  "use strict";

  function labelOf(field) {
    return (field.id && document.querySelector('label[for="' + field.id + '"]')) || field;
  }

  function focusField(field) {
    labelOf(field).scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  }

  function start() {
    var active = document.activeElement;
    if (active && active !== document.body) return; // the reader already moved (autofocus, a hash)
    var summary = document.querySelector(".error-summary, main [role='alert']");
    if (summary) {
      if (!summary.hasAttribute("tabindex")) summary.setAttribute("tabindex", "-1");
      summary.focus();
      return;
    }
    var invalid = document.querySelector('main [aria-invalid="true"]:not([disabled])');
    if (invalid) focusField(invalid);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    // A group of radios or checkboxes is named by its wrapper: focus its first input.
    if (field && !/^(INPUT|SELECT|TEXTAREA)$/.test(field.tagName)) field = field.querySelector("input, select, textarea");
    if (!field || field.disabled) return;
    event.preventDefault();
    focusField(field);
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
