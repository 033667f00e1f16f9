// Roster staff console: a photo chosen for upload is shown before the
// form is sent. Without this script the form still uploads it.
"use strict";

// A file input marked data-preview shows its chosen image in the <img>
// whose id it names, from a blob: URL that lives until another is chosen.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (input.type !== "file" || !input.hasAttribute("data-preview")) {
    return;
  }
  var img = document.getElementById(input.getAttribute("data-preview"));
  if (!img) {
    return;
  }
  if (img.src.indexOf("blob:") === 0) {
    URL.revokeObjectURL(img.src);
  }
  var file = input.files && input.files[0];
  if (!file) {
    img.removeAttribute("src");
    img.hidden = true;
    return;
  }
  img.src = URL.createObjectURL(file);
  img.hidden = false;
});
