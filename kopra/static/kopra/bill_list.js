// The bill list: the filters folded behind one button on a phone, "select all" for the
// active bills of the page, the count of the selected ones, and the bulk cancel armed only
// when something is selected (confirm.js asks before it goes). A file, not an inline
// script: the Content-Security-Policy allows scripts from this site only. Without it the
// filters stay open and the boxes still work one by one.
(function () {
  "use strict";
  var panel = document.getElementById("bill-filters");
  if (panel && panel.hasAttribute("data-foldable") && window.matchMedia("(max-width: 640px)").matches) {
    var toggle = panel.querySelector(".filter-toggle");
    toggle.hidden = false;
    panel.classList.add("folded");
    toggle.setAttribute("aria-expanded", "false");
    toggle.addEventListener("click", function () {
      var folded = panel.classList.toggle("folded");
      toggle.setAttribute("aria-expanded", folded ? "false" : "true");
    });
  }

  var form = document.getElementById("bulk-cancel");
  if (!form) { return; }
  var all = form.querySelector("[data-select-all]");
  var count = form.querySelector("[data-selected-count]");
  var button = form.querySelector("[data-needs-selection]");
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name=bill]"));

  function selected() {
    return boxes.filter(function (box) { return box.checked; }).length;
  }

  function update() {
    var n = selected();
    if (count) { count.textContent = n ? count.getAttribute("data-template").replace("{n}", n) : ""; }
    if (button) { button.disabled = n === 0; }
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
  update();
}());
