// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // After a refused form, take keyboard and screen-reader users to the list of problems.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});

// A register import's page is redrawn every 500 ms; its live region is told only of a new
// phase or of the end, never the same words twice.
document.addEventListener("htmx:afterSettle", () => {
  const job = document.getElementById("import-job");
  const live = document.getElementById("import-announce");
  if (!job || !live || live.textContent === job.dataset.announce) return;
  live.textContent = job.dataset.announce;
  live.className = "import-phase " + ({finished: "ok", failed: "alert-text", rejected: "alert-text"}[job.dataset.phase] || "");
});

// Intake: the live panel counts the documents chosen, but a file field is not sent with every
// keystroke (hx-params leaves it out); its files' names go in a hidden field instead. This
// runs in the capture phase, before HTMX reads the form on the same change event.
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.dataset.chosen) return;
  const hidden = document.getElementById(input.dataset.chosen);
  if (hidden) hidden.value = JSON.stringify(Array.from(input.files || [], (file) => file.name));
}, true);

// Printing a case file prints every section: folded <details> are opened first.
window.addEventListener("beforeprint", () => {
  document.querySelectorAll("details:not([open])").forEach((details) => { details.open = true; });
});

// The one-page intake form: the extradition contents (ECE art. 12(2), art. 16) show when the
// kind chosen is extradition or provisional arrest, the MLA measures when it is not. Without
// JavaScript the button "Update the form for this kind" draws the page again for the kind.
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!(select instanceof HTMLSelectElement) || select.id !== "kind" || !select.form) return;
  select.form.querySelectorAll("[data-kinds]").forEach((part) => {
    part.hidden = !part.dataset.kinds.split(" ").includes(select.value);
  });
  select.form.querySelectorAll("[data-not-kinds]").forEach((part) => {
    part.hidden = part.dataset.notKinds.split(" ").includes(select.value);
  });
});
