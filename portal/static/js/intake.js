// Progressive enhancement for the complaint form and receipt; everything works without it.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Move focus to the error summary so screen reader and keyboard users start there.
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }

    // One submission per click: disable the send button once the form is on its way
    // (the server also ignores a repeated submission, see the idempotency key).
    var form = document.querySelector("form.complaint-form");
    if (form) {
      form.addEventListener("submit", function (event) {
        var button = event.submitter;
        if (button && button.name === "submit") {
          window.setTimeout(function () { button.disabled = true; }, 0);
        }
      });
    }

    // The receipt's print button (hidden without JavaScript; the page prints either way).
    var print = document.querySelector(".print-button");
    if (print) {
      print.hidden = false;
      print.addEventListener("click", function () { window.print(); });
    }
  });
})();
