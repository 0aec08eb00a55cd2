// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // After a refused form, take keyboard and screen-reader users to the list of problems.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
