// The progress bar of an upload being checked. It asks the JSON progress endpoint every
// second and reloads the page (now the report) when reading has ended. A file, not an
// inline script: the Content-Security-Policy allows scripts from this site only.
// The uploads list has one box per upload being read: each polls on its own.
(function () {
  "use strict";

  function track(box) {
    var url = box.getAttribute("data-upload-progress");
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-progress-text]");

    function show(data) {
      if (data.percent !== null && data.percent !== undefined) {
        bar.max = 100;
        bar.value = data.percent;
      } else {
        bar.removeAttribute("value");  // indeterminate: a workbook's row count is known only at the end
      }
      if (text && data.message) { text.textContent = data.message; }
    }

    function poll() {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (data) {
          if (data.done) { window.location.reload(); return; }
          show(data);
          window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }

    window.setTimeout(poll, 1000);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-upload-progress]"), track);
}());
