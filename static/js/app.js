// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // Copy buttons stay hidden where the Clipboard API is not available.
  function enableCopyButtons(root) {
    if (!navigator.clipboard) return;
    root.querySelectorAll("button.copy[hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.copy");
    if (!button) return;
    navigator.clipboard.writeText(button.dataset.copy).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  // Polling elements (data-poll, hx-trigger "every 2s, poll-resume from:body")
  // do not ask while the tab is hidden, and catch up as soon as it is shown
  // again. Done here rather than with an hx-trigger filter, which htmx
  // evaluates as code and the Content-Security-Policy (no unsafe-eval) blocks.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (document.visibilityState === "hidden" && elt && elt.hasAttribute("data-poll")) {
      event.preventDefault();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && document.querySelector("[data-poll]")) {
      document.body.dispatchEvent(new Event("poll-resume"));
    }
  });

  // htmx 2 swaps nothing for error statuses: say what happened instead of
  // leaving the user with a button that seemed to do nothing.
  function showError(text) {
    var messages = document.getElementById("messages");
    if (!messages) return;
    var p = document.createElement("p");
    p.className = "message message-error";
    p.textContent = text;
    messages.replaceChildren(p);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status === 403) showError("Your role in this project does not allow this.");
    else if (status === 404) showError("Not found: it may have been deleted meanwhile. Reload the page.");
    else showError("Something went wrong (" + status + "). Please try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    showError("The server could not be reached. Check your connection and try again.");
  });

  document.addEventListener("DOMContentLoaded", function () {
    enableCopyButtons(document);
    if (window.htmx) window.htmx.onLoad(enableCopyButtons);
  });
})();
