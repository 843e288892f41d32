// The API token page: copy the once-shown token, and ask before revoking one. No inline handlers (CSP).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-copy-target]")) {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copyTarget);
      try {
        await navigator.clipboard.writeText(field.value);
        button.textContent = button.dataset.copied;
      } catch {
        // Without clipboard access (plain http, old browser) select it so Ctrl+C works.
        field.focus();
        field.select();
      }
    });
  }
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  }
});
