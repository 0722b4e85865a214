// Small behaviours the shop adds to htmx; no eval, no inline scripts (the CSP forbids both).
document.addEventListener("htmx:afterSwap", (event) => {
  // Put the keyboard where the new content is: its first invalid field, else its marked target.
  const root = event.detail.elt;
  const target = root.querySelector && (root.querySelector("[aria-invalid=true]") || root.querySelector("[data-autofocus]"));
  if (target) target.focus();
});
