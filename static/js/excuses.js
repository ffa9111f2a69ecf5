// Copy buttons on the meeting-excuse page: any button with data-copy-target copies that
// element's text and reports the outcome in its data-copy-feedback element.
(function () {
  "use strict";

  function fallbackCopy(text) {
    // Older browsers and plain-http hosts have no async clipboard API.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } finally {
      document.body.removeChild(area);
    }
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return fallbackCopy(text);
      });
    }
    return fallbackCopy(text);
  }

  function say(selector, message) {
    var el = selector ? document.querySelector(selector) : null;
    if (el) {
      el.textContent = message;
    }
  }

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) {
      return;
    }
    var source = document.querySelector(button.getAttribute("data-copy-target"));
    var feedback = button.getAttribute("data-copy-feedback");
    if (!source) {
      return;
    }
    copyText(source.textContent).then(
      function () {
        say(feedback, "Copied to clipboard.");
      },
      function () {
        say(feedback, "Could not copy; select the text and copy it yourself.");
      }
    );
  });
})();
