// The copy button next to a value shown once (templates/copy_value.html): copies it to the
// clipboard and says so; where the page may not use the clipboard (plain HTTP, a refusal),
// it selects the value for the user to copy by hand, and says that instead. Without this
// file the button stays hidden and the value can be selected as any text.
// A file, not an inline script: the Content-Security-Policy allows scripts from this site only.
(function () {
  "use strict";
  if (window.kopraCopyReady) { return; }  // included once per value: one listener for them all
  window.kopraCopyReady = true;

  function select(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function show(button, status, label) {
    var original = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", original);
    button.textContent = label;
    status.textContent = label;
    window.clearTimeout(button.kopraReset);
    button.kopraReset = window.setTimeout(function () {
      button.textContent = original;
      status.textContent = "";
    }, 4000);
  }

  function setUp(button) {
    var id = button.getAttribute("data-copy");
    var value = document.getElementById(id);
    var status = document.querySelector("[data-copy-status='" + id + "']");
    if (!value || !status) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = value.textContent.trim();
      var selected = function () {
        select(value);
        show(button, status, button.getAttribute("data-selected-label"));
      };
      if (!navigator.clipboard || !window.isSecureContext) { selected(); return; }
      navigator.clipboard.writeText(text).then(function () {
        show(button, status, button.getAttribute("data-copied-label"));
      }, selected);
    });
  }

  function start() { document.querySelectorAll("button[data-copy]").forEach(setUp); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
