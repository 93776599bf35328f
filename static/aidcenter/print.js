// Print buttons: kept in a file (no inline script) so a strict Content Security Policy holds.
document.querySelectorAll(".print-button").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
