// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // New-account forms: preselect the browser's own time zone when the list has it.
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  document.querySelectorAll("select[data-detect-timezone]").forEach((select) => {
    if (zone && [...select.options].some((option) => option.value === zone)) {
      select.value = zone;
    }
  });
});

// Print buttons (no inline handlers: the content security policy forbids them).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// Printing a page prints its tables too, even when folded away on screen.
window.addEventListener("beforeprint", () => {
  document.querySelectorAll("details.print-open").forEach((details) => { details.open = true; });
});
