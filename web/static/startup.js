// The startup pages' small behaviours; every page works without them.
(function () {
  "use strict";

  // Ask before a form with data-confirm is sent (accepting or declining an invitation is final).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Filters apply as soon as a choice changes; the Filter button stays for keyboards and no-JS.
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.addEventListener("change", function () { form.submit(); });
  });

  // Characters left, counted as the server counts them: code points, so a Korean syllable is one.
  document.querySelectorAll("[data-count]").forEach(function (input) {
    var limit = parseInt(input.getAttribute("data-count"), 10);
    var counter = document.createElement("small");
    counter.className = "counter";
    counter.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", counter);
    function update() {
      var used = Array.from(input.value.normalize("NFC")).length;
      counter.textContent = used + " / " + limit;
      counter.classList.toggle("over", used > limit);
    }
    input.addEventListener("input", update);
    update();
  });
})();
