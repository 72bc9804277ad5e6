// A form sent back with problems: the focus goes to its error summary (templates/form_fields.html),
// so a screen reader reads the problems and a keyboard user follows their links to each field.
// The summary also carries autofocus; this covers browsers that honour it only on inputs.
// A file, not an inline script: the Content-Security-Policy allows scripts from this site only.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (summary && document.activeElement !== summary) { summary.focus(); }
  // A link of the summary puts the focus in its field, not only the page's scroll.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) { return; }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (field) { event.preventDefault(); field.focus(); field.scrollIntoView({block: "center"}); }
  });
}());
