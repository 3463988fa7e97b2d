/* Jembatan portal: small enhancements. Every page works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("submit-form");
  if (!form) return;
  var t = form.dataset;

  function fmt(s, n, m) { return s.replace("%(n)s", n).replace("%(m)s", m); }

  // Live character counter for the description.
  var area = form.querySelector("textarea[data-counter]");
  var counter = area && document.getElementById(area.id + "_counter");
  if (area && counter) {
    var min = parseInt(area.dataset.counter, 10);
    var update = function () {
      var n = area.value.trim().length;
      counter.hidden = false;
      counter.textContent = fmt(n < min ? t.counterShort : t.counterOk, n, min);
    };
    area.addEventListener("input", update);
    update();
  }

  // Region picker: fill each select with the children of the one above.
  var selects = Array.prototype.slice.call(form.querySelectorAll(".region-chain select"));
  function fill(select, items, value) {
    select.innerHTML = "";
    var first = document.createElement("option");
    first.value = ""; first.textContent = t.choose;
    select.appendChild(first);
    items.forEach(function (item) {
      var o = document.createElement("option");
      o.value = item.code; o.textContent = item.name;
      select.appendChild(o);
    });
    select.disabled = false;
    select.value = value || "";
  }
  function clearBelow(level) {
    selects.slice(level + 1).forEach(function (s) {
      s.innerHTML = "<option value=''></option>"; s.options[0].textContent = t.chooseAbove; s.disabled = true;
    });
  }
  function children(code) {
    return fetch(t.childrenUrl.replace("CODE", encodeURIComponent(code)), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); }).then(function (d) { return d.results; });
  }
  selects.forEach(function (select, level) {
    select.addEventListener("change", function () {
      clearBelow(level);
      var next = selects[level + 1];
      if (select.value && next) children(select.value).then(function (items) { fill(next, items); });
    });
  });
  function pick(path) {
    // path: codes from province down; load each level's options in turn.
    var chain = Promise.resolve();
    path.forEach(function (code, level) {
      chain = chain.then(function () {
        if (level === 0) { selects[0].value = code; return; }
        return children(path[level - 1]).then(function (items) { fill(selects[level], items, code); });
      });
    });
    return chain.then(function () {
      clearBelow(path.length - 1);
      similarSoon();
      if (path.length < 4) children(path[path.length - 1]).then(function (items) { fill(selects[path.length], items); });
    });
  }

  var q = document.getElementById("id_region_q");
  var results = document.getElementById("region-results");
  var timer;
  function search() {
    var text = q.value.trim();
    if (text.length < 2) { results.innerHTML = ""; return; }
    fetch(t.searchUrl + "?q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        results.innerHTML = "";
        if (!d.results.length) { var p = document.createElement("p"); p.className = "error"; p.textContent = t.noRegion; results.appendChild(p); return; }
        var ul = document.createElement("ul"); ul.className = "region-results";
        d.results.forEach(function (r) {
          var li = document.createElement("li"), b = document.createElement("button");
          b.type = "button"; b.className = "link"; b.textContent = r.label;
          b.addEventListener("click", function () { pick(r.path); results.innerHTML = ""; q.value = r.name; selects[r.path.length - 1].focus(); });
          li.appendChild(b); ul.appendChild(li);
        });
        results.appendChild(ul);
      });
  }
  if (q) {
    q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 250); });
    var findButton = form.querySelector("button[value=region_search]");
    if (findButton) findButton.addEventListener("click", function (e) { e.preventDefault(); search(); });
  }

  // "Laporan serupa sudah ada": once the description is long enough and a region is chosen, show the
  // similar public reports under it. Once some were shown, the form says so (tetap_kirim) and the
  // server does not stop the submission to show them again.
  var box = document.getElementById("similar-box");
  var confirmed = document.getElementById("id_tetap_kirim");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
  var similarOn = !!(box && area && confirmed && csrf && t.similarUrl) && confirmed.value !== "1";
  var lastAsked = "", asked = 0, similarTimer;
  function region() {
    var code = "";
    selects.forEach(function (s) { if (s.value && !s.disabled) code = s.value; });
    return code;
  }
  function similar() {
    var text = area.value.trim(), code = region(), key = code + "|" + text;
    if (text.length < 80 || !code || key === lastAsked) return;
    lastAsked = key;
    var mine = ++asked, body = new FormData();
    body.append("teks", text);
    body.append("wilayah", code);
    fetch(t.similarUrl, { method: "POST", body: body, headers: { "X-CSRFToken": csrf.value, Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d || mine !== asked) return;
        box.innerHTML = d.html; // the server's template, escaped there
        if (d.results.length) confirmed.value = "1";
      })
      .catch(function () { lastAsked = ""; });
  }
  function similarSoon() {
    if (!similarOn) return;
    clearTimeout(similarTimer);
    similarTimer = setTimeout(similar, 700);
  }
  if (similarOn) {
    area.addEventListener("input", similarSoon);
    selects.forEach(function (s) { s.addEventListener("change", similarSoon); });
    similarSoon(); // a form sent back with an error may already be complete
  }

  // Enter in a one-line field must not send the form (or run a picker step) by accident.
  form.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.target.tagName !== "INPUT" || e.target.type === "submit") return;
    e.preventDefault();
    if (e.target === q) search();
  });

  // "Use my location": fill the coordinates from the phone's GPS.
  var locate = document.getElementById("use-location");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      var status = document.getElementById("location-status");
      status.textContent = t.locating;
      navigator.geolocation.getCurrentPosition(function (pos) {
        document.getElementById("id_latitude").value = pos.coords.latitude.toFixed(6);
        document.getElementById("id_longitude").value = pos.coords.longitude.toFixed(6);
        status.textContent = t.located;
      }, function () { status.textContent = t.locateFailed; }, { enableHighAccuracy: true, timeout: 15000 });
    });
  }

  // Files: warn before sending instead of after a long upload on a slow network.
  var files = document.getElementById("id_attachments");
  if (files) files.addEventListener("change", function () {
    var tooBig = Array.prototype.some.call(files.files, function (f) { return f.size > 10 * 1024 * 1024; });
    files.setCustomValidity(files.files.length > 5 ? t.tooMany : tooBig ? t.tooBig : "");
    files.reportValidity();
  });

  // One click sends once (the form token also guards the server side).
  form.addEventListener("submit", function (e) {
    var button = e.submitter;
    var sends = !button || !button.name || button.name === "tetap_kirim";
    if (files && files.validationMessage && sends) { e.preventDefault(); files.reportValidity(); return; }
    if (button && sends) setTimeout(function () { button.disabled = true; button.textContent = t.sending; }, 0);
  });
})();
