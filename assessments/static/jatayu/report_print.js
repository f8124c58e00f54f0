/* The attempt report's "Print or save as PDF": the browser's print dialog, with report_print.css. */
document.addEventListener("DOMContentLoaded", () => {
  const link = document.getElementById("print-report");
  if (link) link.addEventListener("click", (event) => {
    event.preventDefault();
    window.print();
  });
});
