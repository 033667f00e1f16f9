// Roster staff console: the import form sent with fetch(), asking for the
// API's NDJSON progress lines, which feed the progress bar; the last line
// (or the one JSON answer of an import that ended early) fills the result.
// A page the console answers instead (a refusal before the import began)
// takes this page's place, as it would without this script, which leaves
// the form posting as any other.
"use strict";

(function () {
  if (!window.fetch || !window.TextDecoder || !window.DOMParser) {
    return;
  }
  var formID = "import-form";
  var numbers = new Intl.NumberFormat("en");

  function byID(id) {
    return document.getElementById(id);
  }

  // The form may be replaced by a page the console answered: listen on
  // the document, for whichever import form is there.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== formID) {
      return;
    }
    event.preventDefault();
    importFile(form);
  });

  function importFile(form) {
    var button = form.querySelector("button[type=submit]");
    var bar = byID("import-progress");
    var outcome = null;
    button.disabled = true;
    byID("import-result").hidden = true;
    bar.removeAttribute("value");
    byID("import-running").hidden = false;
    say("Uploading and checking the rows…");

    function line(text) {
      var v = JSON.parse(text);
      if (v.progress) {
        progress(bar, v.progress);
      } else {
        outcome = v;
      }
    }

    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/x-ndjson" },
      credentials: "same-origin"
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/x-ndjson") === 0) {
        return readLines(response, line).then(function () { return outcome; });
      }
      if (type.indexOf("application/json") === 0) {
        return response.json();
      }
      return response.text().then(function (page) {
        showPage(page);
        return "page";
      });
    }).then(function (v) {
      if (v !== "page") {
        finish(bar, v);
      }
    }, function () {
      finish(bar, null);
    }).then(function () {
      button.disabled = false;
    });
  }

  // readLines calls online with each line of the response's body, as it
  // arrives.
  function readLines(response, online) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var held = "";
    function next() {
      return reader.read().then(function (chunk) {
        held += chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
        var lines = held.split("\n");
        held = chunk.done ? "" : lines.pop();
        lines.forEach(function (l) {
          if (l.trim() !== "") {
            online(l);
          }
        });
        return chunk.done ? undefined : next();
      });
    }
    return next();
  }

  // progress shows a progress line: rows checked while the file is read,
  // whose total is not known yet, then rows written of the total.
  function progress(bar, p) {
    if (p.total === null) {
      bar.removeAttribute("value");
      say("Checked " + count(p.rows, "row") + "…");
      return;
    }
    bar.max = p.total;
    bar.value = p.rows;
    say("Imported " + numbers.format(p.rows) + " of " + count(p.total, "row") + "…");
  }

  // finish shows the import's outcome: the API's result or failure, or,
  // when the answer ended without one, that the outcome is unknown.
  function finish(bar, v) {
    if (v && v.result) {
      v = v.result;
    }
    if (v && typeof v.imported === "number") {
      bar.max = Math.max(bar.max, v.imported, 1);
      bar.value = bar.max;
      say("Done.");
      byID("imported").textContent = numbers.format(v.imported);
      byID("skipped").textContent = numbers.format(v.skipped);
      var claimed = typeof v.claim_links_sent === "number";
      byID("claim-links").hidden = !claimed;
      byID("claim-links-sent").textContent = claimed ? numbers.format(v.claim_links_sent) : "";
      showOutcome(true, v.errors, v.skipped);
      return;
    }
    byID("import-running").hidden = true;
    byID("import-error").textContent = v && v.error ? v.error :
      "The connection ended before the import's outcome arrived: look at the clients before importing the file again.";
    showOutcome(false, v && v.errors || [], v && v.error_count || 0);
  }

  function showOutcome(done, errors, errorCount) {
    byID("import-done").hidden = !done;
    byID("import-failed").hidden = done;
    var table = byID("row-errors");
    var body = table.tBodies[0];
    var template = byID("row-error-template");
    body.replaceChildren();
    errors.forEach(function (e) {
      var row = template.content.firstElementChild.cloneNode(true);
      row.cells[0].textContent = e.row;
      row.cells[1].textContent = e.field || "—";
      row.cells[2].textContent = e.error;
      body.appendChild(row);
    });
    byID("error-count").textContent = numbers.format(errorCount);
    byID("errors-listed").hidden = errorCount <= errors.length;
    table.hidden = errors.length === 0;
    byID("import-result").hidden = false;
  }

  // showPage puts the main content of a page the console answered in
  // place of this one's.
  function showPage(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var main = page.querySelector("main");
    if (main) {
      document.title = page.title;
      document.querySelector("main").replaceChildren(...main.childNodes);
    }
  }

  function say(text) {
    byID("import-status").textContent = text;
  }

  function count(n, noun) {
    return numbers.format(n) + " " + noun + (n === 1 ? "" : "s");
  }
})();
