// A button with data-print opens the browser's print dialog (the statement and her data's printable page).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
