// Roster staff console: progressive enhancement only. Every page works
// without this script.
"use strict";

// A filter form marked data-autosubmit applies a changed select or
// checkbox at once; typing in the search box still waits for Enter or the
// Apply button.
document.addEventListener("change", function (event) {
  var field = event.target;
  var form = field.form;
  if (!form || !form.hasAttribute("data-autosubmit")) {
    return;
  }
  if (field.tagName === "SELECT" || field.type === "checkbox") {
    form.requestSubmit();
  }
});
