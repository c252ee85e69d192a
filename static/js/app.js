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
