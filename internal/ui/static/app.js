// Progressive enhancement only: every page works without this script.
// - selects marked data-autosubmit submit their form when changed;
// - custom date inputs show only when the range select says "custom".
(function () {
  "use strict";
  function sync(form) {
    var range = form.querySelector("select[data-range]");
    if (!range) return;
    var custom = range.value === "custom";
    form.querySelectorAll("[data-custom]").forEach(function (el) {
      el.hidden = !custom;
      el.querySelectorAll("input").forEach(function (input) { input.disabled = !custom; });
    });
  }
  document.querySelectorAll("form").forEach(function (form) {
    sync(form);
    form.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        sync(form);
        if (select.matches("[data-range]") && select.value === "custom") {
          var first = form.querySelector("[data-custom] input");
          if (first) first.focus();
          return;
        }
        form.requestSubmit ? form.requestSubmit() : form.submit();
      });
    });
    // Leave empty and default fields out of the URL, so shared links stay short.
    form.addEventListener("submit", function () {
      form.querySelectorAll("input[name], select[name]").forEach(function (el) {
        if (el.type === "hidden") return;
        if (el.value === "" || el.value === el.getAttribute("data-default")) el.disabled = true;
      });
    });
  });
  // Coming back through the history cache: enable what submit disabled.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form").forEach(function (form) {
      form.querySelectorAll("input[name]:disabled, select[name]:disabled").forEach(function (el) { el.disabled = false; });
      sync(form);
    });
  });
})();
