/* The receipt page: copy the tracking number (and access code) and share the tracking link.
   Buttons start hidden and show only where the browser can do it; the page works without this file.
   <button data-copy="tracking-number" data-done="Tersalin"> copies the text of #tracking-number;
   <button data-share-url="…" data-share-title="…"> opens the Web Share sheet. */
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = button.dataset.done;
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });
  document.querySelectorAll("button[data-share-url]").forEach(function (button) {
    if (!navigator.share) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.share({ title: button.dataset.shareTitle, url: new URL(button.dataset.shareUrl, location.href).href })
        .catch(function () { /* the citizen closed the share sheet */ });
    });
  });
})();
