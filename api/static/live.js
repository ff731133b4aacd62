// Keeps a page current without a reload: every data-live-every ms it fetches the address in
// data-live-src and swaps in each fresh [data-live] section by id. A section the user is
// working in (focus inside, or an open form) is left alone until the next turn.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-src]");
  if (!root) { return; }
  var every = Number(root.getAttribute("data-live-every")) || 5000;

  function busy(section) {
    return section.contains(document.activeElement) || section.querySelector("details[open]");
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    fresh.querySelectorAll("[data-live]").forEach(function (section) {
      var old = document.getElementById(section.id);
      if (old && !busy(old)) { old.replaceWith(document.importNode(section, true)); }
    });
  }

  function refresh() {
    fetch(root.getAttribute("data-live-src"), { credentials: "same-origin" })
      .then(function (answer) {
        // Signed out meanwhile: the answer is the login page; keep what is shown.
        return answer.ok && !answer.redirected ? answer.text() : null;
      })
      .then(function (html) { if (html) { swap(html); } })
      .catch(function () { /* offline for a moment: the next turn tries again */ })
      .then(function () { window.setTimeout(refresh, every); });
  }

  window.setTimeout(refresh, every);
}());
