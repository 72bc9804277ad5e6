// One question before an action that cannot be undone. A form (or its button) that carries
// data-confirm="..." is sent only after the user agrees in the dialog #confirm-dialog, which
// base.html renders with its buttons already in the page's language. The question names the
// object and says what will happen; the confirm button repeats the words of the button
// clicked, and the safe one has the focus, so Enter or Esc keeps everything as it is.
// Optional on the form: data-confirm-when="selector" asks only when something inside matches
// (nothing chosen: the server says what is missing), and data-confirm-list="selector" lists
// the data-confirm-item (or value) of each match under the question.
// A file, not an inline script: the Content-Security-Policy allows scripts from this site only.
(function () {
  "use strict";
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog) { return; }
  if (typeof dialog.showModal !== "function") {  // a browser without <dialog>: its own confirm()
    document.addEventListener("submit", function (event) {
      var text = question(event.target, event.submitter || null);
      if (text && !window.confirm(text)) { event.preventDefault(); event.stopImmediatePropagation(); }
    }, true);
    return;
  }
  var message = document.getElementById("confirm-dialog-message");
  var list = document.getElementById("confirm-dialog-list");
  var accept = dialog.querySelector("[data-confirm-accept]");
  var refuse = dialog.querySelector("[data-confirm-refuse]");
  var acceptDefault = accept.textContent;
  var pending = null;  // {form, submitter} while the dialog is open

  // The question to ask before ``form`` is sent, or "" when none is due.
  function question(form, submitter) {
    var text = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm") || "";
    var when = form.getAttribute("data-confirm-when");
    if (!text || form.hasAttribute("data-confirmed") || (when && !form.querySelector(when))) { return ""; }
    return text;
  }

  function items(form) {
    var selector = form.getAttribute("data-confirm-list");
    if (!selector) { return []; }
    return Array.prototype.map.call(form.querySelectorAll(selector), function (element) {
      return element.getAttribute("data-confirm-item") || element.value || element.textContent;
    });
  }

  function send(form, submitter) {
    if (typeof form.requestSubmit === "function") {
      // Fires the submit event again (synchronously): the mark lets it through this once.
      form.setAttribute("data-confirmed", "");
      try {
        form.requestSubmit(submitter || undefined);  // keeps the clicked button's name and value
      } finally {
        form.removeAttribute("data-confirmed");
      }
      return;
    }
    if (submitter && submitter.name) {  // older browsers: carry the button's value by hand
      var carried = document.createElement("input");
      carried.type = "hidden";
      carried.name = submitter.name;
      carried.value = submitter.value;
      form.appendChild(carried);
    }
    form.submit();
  }

  function close(agreed) {
    var asked = pending;
    pending = null;
    if (dialog.open) { dialog.close(); }
    if (!asked) { return; }
    if (agreed) {
      send(asked.form, asked.submitter);
    } else if (asked.submitter) {
      asked.submitter.focus();
    }
  }

  function ask(form, submitter, text) {
    pending = {form: form, submitter: submitter};
    message.textContent = text;
    list.textContent = "";
    items(form).forEach(function (item) {
      var entry = document.createElement("li");
      entry.textContent = item;
      list.appendChild(entry);
    });
    list.hidden = !list.children.length;
    var label = submitter && submitter.textContent.trim();
    accept.textContent = label || acceptDefault;
    dialog.showModal();
    refuse.focus();
  }

  accept.addEventListener("click", function () { close(true); });
  refuse.addEventListener("click", function () { close(false); });
  dialog.addEventListener("cancel", function (event) {  // Esc
    event.preventDefault();
    close(false);
  });
  dialog.addEventListener("close", function () { if (pending) { close(false); } });

  // Capture, so the question comes before any other handler of the form.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter || null;
    var text = question(form, submitter);
    if (!text) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    ask(form, submitter, text);
  }, true);
}());
