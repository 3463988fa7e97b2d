/* Category suggestions from the routing model while a report is written (portal and officer
   intake). Buttons that pick the category in the form's select; nothing is chosen unless someone
   clicks one. Every page works without this file.

   <form data-suggest-url="…" data-suggest-text="id_description" data-suggest-select="id_category"
         data-suggest-box="category-suggestions" data-suggest-region="select[data-level]">
   The box holds a ".chips" element and starts hidden; the region is the last chosen value among
   the selects matching data-suggest-region (optional). */
(function () {
  "use strict";
  document.querySelectorAll("form[data-suggest-url]").forEach(function (form) {
    var d = form.dataset;
    var area = document.getElementById(d.suggestText);
    var select = document.getElementById(d.suggestSelect);
    var box = document.getElementById(d.suggestBox);
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!area || !select || !box || !csrf) return;
    var chips = box.querySelector(".chips");
    var asked = "", timer;
    function region() {
      var code = "";
      if (!d.suggestRegion) return code;
      form.querySelectorAll(d.suggestRegion).forEach(function (s) { if (s.value && !s.disabled) code = s.value; });
      return code;
    }
    function ask() {
      var text = area.value.trim(), key = region() + "|" + text;
      if (text.length < 40 || key === asked) return;
      asked = key;
      var body = new FormData();
      body.append("teks", text);
      body.append("wilayah", region());
      fetch(d.suggestUrl, { method: "POST", body: body, headers: { "X-CSRFToken": csrf.value, Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          chips.textContent = "";
          var shown = 0;
          (data ? data.categories : []).forEach(function (c) {
            if (!select.querySelector("option[value='" + c.id + "']")) return;
            var b = document.createElement("button");
            b.type = "button"; b.className = "secondary small";
            b.textContent = c.percent === undefined ? c.name : c.name + " (" + c.percent + "%)";
            b.addEventListener("click", function () {
              select.value = String(c.id);
              select.dispatchEvent(new Event("change", { bubbles: true }));
            });
            chips.appendChild(b); shown++;
          });
          box.hidden = !shown;
        })
        .catch(function () { asked = ""; });
    }
    function soon() { clearTimeout(timer); timer = setTimeout(ask, 900); }
    area.addEventListener("input", soon);
    if (d.suggestRegion) form.addEventListener("change", function (e) { if (e.target.matches(d.suggestRegion)) soon(); });
    ask(); // a form sent back with an error may already hold a text
  });
})();
