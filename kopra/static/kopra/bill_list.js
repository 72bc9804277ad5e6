// The bill list's selection: "select all" for the active bills of the page, a count of
// the selected ones, and a confirmation before the bulk cancel. A file, not an inline
// script: the Content-Security-Policy allows scripts from this site only. Without it the
// boxes still work one by one.
(function () {
  "use strict";
  var form = document.getElementById("bulk-cancel");
  if (!form) { return; }
  var all = form.querySelector("[data-select-all]");
  var count = form.querySelector("[data-selected-count]");
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name=bill]"));

  function selected() {
    return boxes.filter(function (box) { return box.checked; }).length;
  }

  function update() {
    var n = selected();
    if (count) { count.textContent = n ? n + " \u2713" : ""; }
    if (all) {
      all.checked = n > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
  }

  if (all && boxes.length) {
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      update();
    });
  }
  boxes.forEach(function (box) { box.addEventListener("change", update); });

  form.addEventListener("submit", function (event) {
    if (!selected()) { return; }  // the page says what is missing
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
  update();
}());
