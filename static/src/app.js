import htmx from "htmx.org";

window.htmx = htmx;

// Selects marked data-autosubmit submit their form on change (language switch).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.dataset.autosubmit !== undefined && el.form) {
    el.form.submit();
  }
});
