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

// Navigation menus are <details>, which open and close without script. With it,
// Escape closes an open one (focus back on its button) and a tap elsewhere does too.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") {
    return;
  }
  document.querySelectorAll("details[data-nav-menu][open]").forEach((menu) => {
    const hadFocus = menu.contains(document.activeElement);
    menu.open = false;
    if (hadFocus) {
      menu.querySelector("summary").focus();
    }
  });
});
document.addEventListener("click", (event) => {
  document.querySelectorAll("details[data-nav-menu][open]").forEach((menu) => {
    if (!menu.contains(event.target)) {
      menu.open = false;
    }
  });
});
