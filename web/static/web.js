// Progressive enhancement only: every page works without it.
// The box a page focuses on load keeps what was searched, selected, so that the next scan
// (a barcode scanner types the code and Enter) or keystroke replaces it instead of adding to it.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("input[autofocus]");
  if (box && typeof box.select === "function") { box.focus(); box.select(); }
});
