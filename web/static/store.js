// The store pages' progressive enhancement; every page works without it.
(function () {
  "use strict";

  // Times come in UTC (<time datetime="...Z" data-local>); show them in the device's zone.
  function localTimes(root) {
    var fmt;
    try {
      fmt = new Intl.DateTimeFormat(undefined, {weekday: "short", day: "numeric",
        month: "short", hour: "2-digit", minute: "2-digit"});
    } catch (e) { return; }
    root.querySelectorAll("time[data-local]").forEach(function (t) {
      var at = new Date(t.getAttribute("datetime"));
      if (!isNaN(at)) { t.textContent = fmt.format(at); t.title = t.getAttribute("datetime"); }
    });
  }

  // A list that refreshes itself (data-refresh-url, every data-refresh-seconds) without a
  // reload: the server renders the fragment. Not while the associate is working inside it
  // (focus would be lost) or the tab is hidden; a signed-out session reloads the page,
  // which then asks to sign in.
  function keepFresh(region) {
    var url = region.getAttribute("data-refresh-url");
    var every = 1000 * (parseInt(region.getAttribute("data-refresh-seconds"), 10) || 20);
    var last = null;
    function tick() {
      if (document.hidden || region.contains(document.activeElement)) { return; }
      fetch(url, {credentials: "same-origin", headers: {"Accept": "text/html"}})
        .then(function (res) {
          if (res.redirected || res.status === 401) { window.location.reload(); return null; }
          if (res.status !== 200) { return null; }
          return res.text();
        })
        .then(function (html) {
          if (html === null || html === last) { return; }
          if (region.contains(document.activeElement)) { return; }
          last = html;
          region.innerHTML = html;
          localTimes(region);
        })
        .catch(function () { /* offline for a moment: try again next time */ });
    }
    window.setInterval(tick, every);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { tick(); } });
  }

  // A form is sent once: a second tap while the first is on its way (a slow shop Wi-Fi)
  // would be a second hand-over or return, or lose the pickup code the first one showed.
  function sendOnce(event) {
    var form = event.target;
    if (!form || (form.method || "").toLowerCase() !== "post") { return; }
    if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
    form.setAttribute("data-sent", "1");
    form.querySelectorAll("button[type=submit]").forEach(function (b) {
      b.setAttribute("aria-disabled", "true");
      b.classList.add("sending");
    });
  }

  // A reviewed return is confirmed as reviewed: once the form above changes, the confirm
  // button waits for a new review (without the script, it sends what was reviewed).
  function staleReview(form) {
    function stale() {
      document.querySelectorAll("form.confirm").forEach(function (confirm) {
        confirm.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
        confirm.querySelectorAll(".stale-note").forEach(function (p) { p.hidden = false; });
      });
    }
    form.addEventListener("change", stale);
    form.addEventListener("input", stale);
  }

  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    document.querySelectorAll("form[data-review-form]").forEach(staleReview);
    document.querySelectorAll("[data-refresh-url]").forEach(keepFresh);
    document.addEventListener("submit", sendOnce, true);
  });
  // Back to a page from the browser's cache: its forms may be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-sent]").forEach(function (f) {
      f.removeAttribute("data-sent");
      f.querySelectorAll("button.sending").forEach(function (b) {
        b.classList.remove("sending");
        b.removeAttribute("aria-disabled");
      });
    });
  });
}());
