// Workbench niceties; every page works without them.
// - "Select all" checkbox on queue tables.
// - j / k move between rows, x ticks the row, Enter (on the focused link) opens it.
// - Single-key shortcuts listed on the page: an element with data-shortcut="KEY" is followed (a link
//   to another page), or focused (a link to a part of this page: its first control; or the element
//   itself). Never while typing in a field, nor with Alt/Ctrl/Meta (the browser's own keys).
// - Response templates are inserted into the textarea at the cursor instead of reloading the page.
(function () {
  "use strict";

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (!all) return;
    var table = all.closest("table");
    table.querySelectorAll('tbody input[type="checkbox"][name="items"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(document.activeElement)) return;
    var links = Array.prototype.slice.call(document.querySelectorAll("[data-row-link]"));
    if (!links.length) return;
    var current = links.indexOf(document.activeElement);
    if (event.key === "j" || event.key === "k") {
      var next = event.key === "j" ? current + 1 : current - 1;
      if (current === -1) next = 0;
      next = Math.max(0, Math.min(links.length - 1, next));
      links.forEach(function (a) { a.closest("tr").classList.remove("focused"); });
      links[next].focus();
      links[next].closest("tr").classList.add("focused");
      event.preventDefault();
    } else if (event.key === "x" && current !== -1) {
      var box = links[current].closest("tr").querySelector('input[name="items"]');
      if (box) box.checked = !box.checked;
      event.preventDefault();
    }
  });

  function focusPart(target) {
    var control = target.querySelector("summary, button, input:not([type=hidden]), select, textarea, a[href]");
    var where = control || target;
    if (!control && !where.hasAttribute("tabindex")) where.setAttribute("tabindex", "-1");
    where.focus({ preventScroll: true });
    target.scrollIntoView({ block: "start" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.key.length !== 1) return;
    if (typing(document.activeElement)) return;
    var el = document.querySelector('[data-shortcut="' + event.key + '"]');
    if (!el) return;
    event.preventDefault();
    var href = el.getAttribute("href");
    if (href && href.charAt(0) === "#") {
      var target = document.getElementById(href.slice(1));
      if (target) focusPart(target);
    } else if (href) {
      window.location.assign(el.href);
    } else {
      focusPart(el);
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target.closest(".wb-template-pick");
    if (!form) return;
    var target = document.getElementById(form.dataset.target);
    var option = form.querySelector("select").selectedOptions[0];
    if (!target || !option) return;
    event.preventDefault();
    var text = option.dataset.text || "";
    var start = target.selectionStart || 0, end = target.selectionEnd || 0;
    target.value = target.value.slice(0, start) + text + target.value.slice(end);
    target.focus();
    target.selectionStart = target.selectionEnd = start + text.length;
  });
})();
