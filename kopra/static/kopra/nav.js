// The menu folds behind one button on a phone or a narrow window, so a page's content
// comes first. Without this file the menu simply stays open.
(function () {
  "use strict";
  var nav = document.querySelector(".sidenav");
  var toggle = nav && nav.querySelector(".nav-toggle");
  if (!toggle) { return; }
  var narrow = window.matchMedia("(max-width: 900px)");

  function fold(folded) {
    nav.classList.toggle("folded", folded);
    toggle.setAttribute("aria-expanded", folded ? "false" : "true");
  }

  function follow() {
    toggle.hidden = !narrow.matches;
    fold(narrow.matches);
  }

  toggle.addEventListener("click", function () { fold(!nav.classList.contains("folded")); });
  if (narrow.addEventListener) { narrow.addEventListener("change", follow); }
  follow();
}());
