/* Starts ReDoc on /api/docs/ (a file, not an inline script, so the page's CSP can forbid inline scripts). */
const container = document.getElementById("redoc-container");
const settings = JSON.parse(document.getElementById("redoc-settings").textContent || "null");
window.Redoc.init(container.dataset.schemaUrl, settings ? JSON.parse(settings) : {}, container);
