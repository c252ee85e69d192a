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

  document.addEventListener("DOMContentLoaded", function () {
    focusProblem(document);
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
