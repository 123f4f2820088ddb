// Small progressive enhancements; every page works without this file.
document.documentElement.classList.add("js");

function ready(fn) {
  if (document.readyState !== "loading") fn();
  else document.addEventListener("DOMContentLoaded", fn);
}

// Filters apply as soon as a choice is picked with the mouse or a finger. Arrow keys move through a closed
// list's options one by one, each a "change": applying each would leave a keyboard user no way to reach
// the option they want, so a choice made by keyboard waits for the Filter button (WCAG 3.2.2).
function autosubmitFilters() {
  document.querySelectorAll("form[data-autosubmit]").forEach((form) => {
    let byKeyboard = false;
    form.addEventListener("keydown", () => (byKeyboard = true));
    form.addEventListener("pointerdown", () => (byKeyboard = false));
    form.addEventListener("change", () => {
      if (!byKeyboard) form.submit();
    });
  });
}

// "Copy link" buttons next to join links.
function copyButtons() {
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const input = document.querySelector(button.dataset.copy);
      const label = button.textContent;
      try {
        await navigator.clipboard.writeText(input.value);
      } catch {
        // Clipboard API needs https; selecting lets the user press Ctrl+C.
        input.select();
        document.execCommand("copy");
      }
      button.textContent = button.dataset.copied;
      setTimeout(() => (button.textContent = label), 2000);
    });
  });
}

// After a failed submit the page opens at the list of mistakes (templates: {% error_summary %}), so a
// keyboard or screen-reader user hears it first; each link puts the focus in its field, label in view.
function errorSummary() {
  const summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  summary.focus();
  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    const target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    const label = document.querySelector(`label[for="${CSS.escape(target.id)}"]`) || target;
    (target.closest("fieldset") ? target.closest("fieldset") : label).scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
  });
}

// "Print" on the day list: the stylesheet's print rules leave the navigation off the paper.
function printButtons() {
  document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
}

ready(() => {
  printButtons();
  errorSummary();
  autosubmitFilters();
  copyButtons();
});
