/* Small progressive enhancements; every page works without them (and without htmx). */
(function () {
  "use strict";

  // A form that came back with errors: move focus to the summary, so keyboard and screen
  // reader users land on what went wrong (the GOV.UK error summary pattern).
  function focusProblem(root) {
    var problem = root.querySelector(".error-summary[tabindex], .conflict[tabindex]");
    if (problem) {
      problem.focus();
    }
  }

  // A due date that follows the urgency chosen, until the user sets one of their own: the
  // input carries each urgency's delay in seconds (cases.forms.RequestForm). Without this, a
  // blank due date follows the urgency on the server.
  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }
  function localValue(date) {
    return date.getUTCFullYear() + "-" + pad(date.getUTCMonth() + 1) + "-" +
      pad(date.getUTCDate()) + "T" + pad(date.getUTCHours()) + ":" + pad(date.getUTCMinutes());
  }
  function dueFromUrgency(root) {
    var input = root.querySelector("input[data-due-from-urgency]");
    if (!input || !input.form) {
      return;
    }
    var delays = JSON.parse(input.getAttribute("data-due-from-urgency"));
    var touched = input.value !== "";
    input.addEventListener("input", function () {
      touched = true;
    });
    function follow() {
      var chosen = input.form.querySelector("input[name=urgency]:checked");
      if (!touched && chosen && delays[chosen.value]) {
        input.value = localValue(new Date(Date.now() + delays[chosen.value] * 1000));
      }
    }
    input.form.addEventListener("change", function (event) {
      if (event.target.name === "urgency") {
        follow();
      }
    });
    follow();
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusProblem(document);
    dueFromUrgency(document);
  });

  // After htmx swaps a fragment in, put focus where the news is: an error, or the status line.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    // An outerHTML swap replaced the target: look for its successor by id.
    if (target && target.id && !document.body.contains(target)) {
      target = document.getElementById(target.id);
    }
    if (!target || !target.querySelector) {
      return;
    }
    var problem = target.querySelector(".error-summary[tabindex]");
    var status = target.querySelector('[role="status"]');
    if (problem) {
      problem.focus();
    } else if (status) {
      status.setAttribute("tabindex", "-1");
      status.focus();
    }
  });
})();

/* File uploads: drop files on the field, and see the upload's progress. Without JavaScript the
   same forms post as plain multipart forms. */
(function () {
  "use strict";

  function enhanceDrop(zone) {
    var input = zone.querySelector('input[type="file"]');
    if (!input) {
      return;
    }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () {
        zone.classList.remove("dragging");
      });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  function enhanceUpload(form) {
    var bar = form.querySelector(".upload-progress");
    form.addEventListener("submit", function (event) {
      var input = form.querySelector('input[type="file"]');
      if (!window.FormData || !input || !input.files.length) {
        return; // nothing to show progress for: the form posts as usual
      }
      event.preventDefault();
      // The attribute, not `form.action`: a field named "action" (the request page's answer
      // form has one) would shadow the property.
      var action = new URL(form.getAttribute("action") || "", window.location.href).href;
      var request = new XMLHttpRequest();
      request.open("POST", action);
      if (bar) {
        bar.hidden = false;
        bar.value = 0;
        request.upload.addEventListener("progress", function (progress) {
          if (progress.lengthComputable) {
            bar.value = Math.round((100 * progress.loaded) / progress.total);
          }
        });
      }
      request.addEventListener("load", function () {
        var landed = request.responseURL && request.responseURL.split("#")[0];
        if (request.status < 400 && landed && landed !== action.split("#")[0]) {
          // Redirected after success: go where the server sent us, on the record's files.
          var here = window.location.href.split("#")[0];
          window.location.assign(request.responseURL);
          if (landed === here) {
            window.location.reload(); // only the fragment changed: load the page anew
          }
          return;
        }
        // Refused: show the page that came back (its errors next to the field).
        document.open();
        document.write(request.responseText);
        document.close();
      });
      request.addEventListener("error", function () {
        if (bar) {
          bar.hidden = true;
        }
        form.submit();
      });
      request.send(new FormData(form));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-drop]").forEach(enhanceDrop);
    document.querySelectorAll("form[data-upload]").forEach(enhanceUpload);
  });
})();

/* Security keys (accounts/webauthn.py): once a key is added, load the page anew to list it. */
document.addEventListener("otp_webauthn.register_complete", function () {
  window.location.reload();
});
