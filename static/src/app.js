// Loaded on every page of the three faces: keep it small (htmx is most of it).
import htmx from "htmx.org";

window.htmx = htmx;

// Selects marked data-autosubmit submit their form on change (language switch, filter bars).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.dataset.autosubmit !== undefined && el.form) {
    if (el.form.requestSubmit) el.form.requestSubmit();
    else el.form.submit();
  }
});

// A thin banner while the phone has no connection. Its text comes from the page
// (`<p class="offline-banner" hidden>` in base.html) so it is translated server-side.
function syncOnline() {
  const banner = document.getElementById("offline-banner");
  if (banner) banner.hidden = navigator.onLine !== false;
}
window.addEventListener("online", syncOnline);
window.addEventListener("offline", syncOnline);
document.addEventListener("DOMContentLoaded", syncOnline);

// Buttons with data-confirm ask before submitting (destructive actions in the back office).
document.addEventListener("click", (event) => {
  const el = event.target instanceof Element ? event.target.closest("[data-confirm]") : null;
  if (el && !window.confirm(el.getAttribute("data-confirm"))) event.preventDefault();
});

// A form submitted twice on a slow connection makes two reports: disable its submit buttons
// once it is on its way (htmx forms manage themselves through hx-disabled-elt).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.hasAttribute("hx-post") || event.defaultPrevented) return;
  window.setTimeout(() => {
    form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]").forEach((b) => {
      b.setAttribute("aria-disabled", "true");
      b.disabled = true;
    });
  }, 0);
});
// Coming back through the browser's back/forward cache must not leave forms dead.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  document.querySelectorAll("form [aria-disabled=true]").forEach((b) => {
    b.removeAttribute("aria-disabled");
    b.disabled = false;
  });
});

// "Try again" on the offline page retries the address that failed (the page was served in its place).
document.addEventListener("click", (event) => {
  const el = event.target instanceof Element ? event.target.closest("a[data-reload]") : null;
  if (!el) return;
  event.preventDefault();
  window.location.reload();
});
