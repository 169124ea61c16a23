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
