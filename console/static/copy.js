// Roster staff console: the Copy button of a secret shown once. Without
// this script the button stays hidden and the secret is plain selectable
// text.
"use strict";

document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var id = button.getAttribute("data-copy");
  var source = document.getElementById(id);
  var status = document.querySelector('[data-copied-for="' + id + '"]');
  if (!source || !navigator.clipboard) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(source.textContent).then(function () {
      status.textContent = "Copied.";
    }, function () {
      status.textContent = "Could not copy: select the key and copy it.";
    });
  });
});
