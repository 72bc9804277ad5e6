// Print buttons (data-print): shown only where this script runs, since without it they
// would do nothing. A file, not an inline handler: the CSP allows scripts from this site only.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
}());
