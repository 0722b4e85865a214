// Small behaviours the shop adds to htmx; no eval, no inline scripts (the CSP forbids both).
(function () {
  "use strict";

  const FOCUSABLE = [
    "a[href]", "button:not([disabled])", "input:not([type=hidden]):not([disabled])", "select:not([disabled])",
    "textarea:not([disabled])", "[tabindex]:not([tabindex='-1'])",
  ].join(",");

  function focusLost() {
    const active = document.activeElement;
    return !active || active === document.body || !active.isConnected;
  }

  // Focus an element that is not focusable by itself (a message, a region) without adding it to the tab order.
  function focusOn(element) {
    if (!element) return false;
    if (!element.matches(FOCUSABLE) && !element.hasAttribute("tabindex")) element.setAttribute("tabindex", "-1");
    element.focus();
    return document.activeElement === element;
  }

  // Where the keyboard goes in new content: its first invalid field, else a marked target; with
  // `place` (focus was inside what got replaced) also: an alert it brings, a link to the address the
  // focused one had (a category chosen: its link, now the current one), the control at the same
  // position when the controls are the same in number (a refresh, a row redrawn), its status
  // message, its first control, else the content itself.
  function focusInto(root, place) {
    if (!root || !root.querySelector || !root.isConnected) return false;
    const wanted = root.querySelector("[aria-invalid=true]") || root.querySelector("[data-autofocus]");
    if (wanted) return focusOn(wanted);
    if (!place) return false;
    if (focusOn(root.querySelector("[role=alert]"))) return true;
    const controls = root.querySelectorAll(FOCUSABLE);
    const same = place.href && Array.from(controls).find((control) => control.getAttribute("href") === place.href);
    if (same && focusOn(same)) return true;
    if (place.count === controls.length && place.index >= 0 && focusOn(controls[place.index])) return true;
    return focusOn(root.querySelector("[role=status]:not(:empty)")) || focusOn(controls[0]) || focusOn(root);
  }

  // Focus moves once the swap has settled: htmx has then wired up the new content (its forms
  // submit through htmx), so a quick keyboard user cannot outrun it.
  let pending = null; // where focus was, when the swap under way removes the element holding it

  // What now stands where the swapped element stood (a new row saved comes back with its item's id),
  // or null when the swap left nothing there (a deleted row).
  function standingIn(place) {
    if (place.next && place.next.isConnected) {
      const before = place.next.previousElementSibling;
      return before !== place.previous ? before : null;
    }
    return place.previous && place.previous.isConnected ? place.previous.nextElementSibling : null;
  }

  // A swap that took away the element holding focus puts it somewhere sensible: into what replaced
  // it, else back on what opened it (its [data-focus-return], an id: a new row cancelled), else next
  // to where it was, else the page's own fallback ([data-focus-fallback]), else <main>.
  function restoreFocus() {
    const place = pending;
    pending = null;
    if (!place || !focusLost()) return;
    const replaced = (place.id && document.getElementById(place.id)) || standingIn(place);
    if (replaced && focusInto(replaced, place)) return;
    if (place.back && focusOn(document.getElementById(place.back))) return;
    for (const near of [place.next, place.previous]) {
      if (near && near.isConnected && focusInto(near, { index: -1 })) return;
    }
    if (focusOn(document.querySelector("[data-focus-fallback]"))) return;
    focusOn(document.getElementById("main"));
  }

  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    const active = document.activeElement;
    if (!event.detail.shouldSwap || !target || !active || active === document.body || !target.contains(active)) return;
    const controls = Array.from(target.querySelectorAll(FOCUSABLE));
    pending = {
      id: target.id,
      index: controls.indexOf(active),
      count: controls.length,
      href: active.getAttribute("href"),
      next: target.nextElementSibling,
      previous: target.previousElementSibling,
      back: target.getAttribute("data-focus-return"),
    };
    // A swap that leaves nothing behind (a deleted row) settles no element: restore a moment later.
    window.setTimeout(restoreFocus, htmx.config.defaultSettleDelay + 50);
  });

  // A swap that asks for focus gets it (an invalid field, or [data-autofocus]); else focus lost is restored.
  document.addEventListener("htmx:afterSettle", (event) => {
    if (focusInto(event.detail.elt, null)) pending = null;
    restoreFocus();
  });

  // A table wider than its box scrolls sideways in it (.table-scroll, or the table itself on a phone:
  // shop.css); a box that scrolls and holds nothing focusable joins the tab order, so the keyboard can
  // scroll it too, and leaves it again when it no longer scrolls.
  function letKeyboardScrollTables() {
    for (const box of document.querySelectorAll("main .table-scroll, main table")) {
      const scrolls = box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX === "auto";
      if (scrolls && !box.querySelector(FOCUSABLE)) box.setAttribute("tabindex", "0");
      else if (!scrolls && box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
    }
  }
  let resizing = 0;
  window.addEventListener("resize", () => {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(letKeyboardScrollTables, 150);
  });
  document.addEventListener("DOMContentLoaded", letKeyboardScrollTables);
  document.addEventListener("htmx:afterSettle", letKeyboardScrollTables);

  // hx-confirm's question is asked here, at the click. htmx itself asks only once the request may go,
  // so one that waits its turn (hx-sync "queue": the monitor's actions) would be asked long after the
  // click, and htmx issues a queued request again as unconfirmed: the clicks answered yes are kept,
  // and their requests go without asking twice.
  // A form whose question depends on a checkbox in it (data-confirm-checked / data-confirm-unchecked)
  // asks the one that names what the box says now; its hx-confirm is only the fallback without this script.
  // Its request sends the box as it was when the question was answered, even if it goes later (queued)
  // and the box was changed meanwhile: what is done is what the admin said yes to.
  const answered = new WeakMap(); // the click -> the question's checkbox and whether it was ticked (or null)
  const boxOf = (form) =>
    (form instanceof HTMLFormElement && form.querySelector("input[type=checkbox][data-confirm-checked]")) || null;
  const questionOf = (form, fallback) => {
    const box = boxOf(form);
    if (!box) return fallback;
    return box.checked ? box.dataset.confirmChecked : box.dataset.confirmUnchecked;
  };
  // A form whose action is under way (sent, or waiting its turn) asks nothing and sends nothing again:
  // a double-click, or a click again on a slow answer, would ask the same question twice and send the
  // action twice (the second refused, its row saying so).
  const underWay = new WeakSet();
  document.addEventListener("htmx:confirm", (event) => {
    const { elt, question, triggeringEvent } = event.detail;
    if (!question) return; // a poll asks nothing
    event.preventDefault();
    if (!triggeringEvent || !answered.has(triggeringEvent)) {
      if (underWay.has(elt) || !window.confirm(questionOf(elt, question))) return;
      const box = boxOf(elt);
      if (triggeringEvent) answered.set(triggeringEvent, box && { box, checked: box.checked });
      underWay.add(elt);
    }
    event.detail.issueRequest(true);
  });
  for (const ended of ["htmx:afterRequest", "htmx:sendAbort"]) {
    document.addEventListener(ended, (event) => underWay.delete(event.detail.elt));
  }
  document.addEventListener("htmx:configRequest", (event) => {
    const { triggeringEvent, parameters } = event.detail;
    const chosen = triggeringEvent && answered.get(triggeringEvent);
    if (!chosen) return;
    if (chosen.checked) parameters[chosen.box.name] = chosen.box.value;
    else delete parameters[chosen.box.name];
  });

  // The same question for a plain form (one htmx does not send), asked before it is sent.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.hasAttribute("hx-post")) return;
    const question = questionOf(form, null);
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // A button that starts a payment, a cancellation or a refund ([data-busy-while-sent] on its form, or on
  // a link that posts) shows busy (aria-busy: Pico's spinner) and takes no second click while its request
  // runs: a double-click sent it twice, and a slow answer (Stripe asked meanwhile) looked like nothing
  // happened. It gets its button back when the request fails (the message stands beside it) or is
  // answered in place; an answer that sends the browser elsewhere (HX-Redirect: Stripe's page) keeps it
  // busy until the page goes. A plain form stays busy until the next page; a page the browser brings
  // back from its cache (Back from Stripe's page) gets its buttons back.
  const BUSY = "[data-busy-while-sent]";
  const isBusyForm = (elt) => elt instanceof Element && elt.matches(BUSY);
  function setBusy(elt, busy) {
    const controls = elt instanceof HTMLFormElement ? elt.querySelectorAll("button:not([type=button])") : [elt];
    for (const control of controls) {
      if (busy) control.setAttribute("aria-busy", "true");
      else control.removeAttribute("aria-busy");
      if (control instanceof HTMLButtonElement) control.disabled = busy;
      else if (busy) control.setAttribute("aria-disabled", "true");
      else control.removeAttribute("aria-disabled");
    }
    if (busy) elt.setAttribute("data-sent", "");
    else elt.removeAttribute("data-sent");
  }
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (isBusyForm(event.detail.elt)) setBusy(event.detail.elt, true);
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    const { elt, xhr, successful } = event.detail;
    if (!isBusyForm(elt) || (successful && xhr && xhr.getResponseHeader("HX-Redirect"))) return;
    setBusy(elt, false);
  });
  document.addEventListener("htmx:sendAbort", (event) => {
    if (isBusyForm(event.detail.elt)) setBusy(event.detail.elt, false);
  });
  // After the question above (a form whose question was answered no is not sent, nor made busy).
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!isBusyForm(form) || form.hasAttribute("hx-post") || event.defaultPrevented) return;
    if (form.hasAttribute("data-sent")) {
      event.preventDefault(); // Enter pressed again: the first is on its way
      return;
    }
    setBusy(form, true); // its buttons have no name: a disabled one takes nothing out of what is sent
  });
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    for (const elt of document.querySelectorAll(BUSY)) setBusy(elt, false);
  });

  // A link that is a button to its reader (role="button": it still works without JavaScript) takes
  // Space as a button does, on release; pressed, Space would scroll the page and do nothing else.
  const linkButton = (event) =>
    event.key === " " && !event.ctrlKey && !event.altKey && !event.metaKey && !event.shiftKey &&
    event.target instanceof HTMLAnchorElement && event.target.getAttribute("role") === "button";
  document.addEventListener("keydown", (event) => {
    if (linkButton(event)) event.preventDefault();
  });
  document.addEventListener("keyup", (event) => {
    if (!linkButton(event)) return;
    event.preventDefault();
    event.target.click();
  });

  // Escape in an inline edit row (tr.editing) cancels it as its Cancel does: the same link clicked, the
  // same request, so focus goes where Cancel's would (the row shown again: its Edit; a new row: "Add
  // item") and the same words are read. Not while an input method composes, nor when something else
  // took the key (an open list of suggestions closing).
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.isComposing || event.defaultPrevented) return;
    const row = event.target instanceof Element && event.target.closest("tr.editing");
    const cancel = row && row.querySelector("a.cancel");
    if (!cancel) return;
    event.preventDefault();
    cancel.click();
  });

  // A <details> with an id stays as the admin left it, opened or closed, when a swap brings it again
  // (the monitor's low-stock box refreshing itself): the server remembers nothing, the page does.
  const detailsOpen = new Map(); // id -> open, as last toggled by the admin
  document.addEventListener("toggle", (event) => {
    const details = event.target;
    if (details instanceof HTMLDetailsElement && details.id) detailsOpen.set(details.id, details.open);
  }, true);
  document.addEventListener("htmx:load", (event) => {
    const root = event.detail.elt;
    if (!root || !root.querySelectorAll) return;
    const all = root.matches("details[id]") ? [root, ...root.querySelectorAll("details[id]")] : root.querySelectorAll("details[id]");
    for (const details of all) {
      if (detailsOpen.has(details.id)) details.open = detailsOpen.get(details.id);
    }
  });

  // A swap that puts a new address in the address bar (a search, a category, "available only") moves
  // where "Log in", "Register" and the language switch come back to, as the layout writes them for a
  // page loaded at that address (users_app's own pages, the login's among them, name none).
  function comeBackTo(event) {
    const path = event.detail && event.detail.path;
    if (typeof path !== "string" || !path.startsWith("/") || path.startsWith("//")) return;
    for (const field of document.querySelectorAll(".lang-switch input[name=next]")) field.value = path;
    const back = path.startsWith("/users/") ? "" : "?next=" + encodeURIComponent(path).replace(/%2F/g, "/");
    for (const link of document.querySelectorAll("#nav-login, #nav-register")) {
      link.setAttribute("href", link.pathname + back);
    }
  }
  document.addEventListener("htmx:pushedIntoHistory", comeBackTo);
  document.addEventListener("htmx:replacedInHistory", comeBackTo);

  // An answer without markup announces its result through the HX-Trigger header (shared_ui.pages.announce).
  document.addEventListener("shop:announce", (event) => {
    const region = document.getElementById("announcer");
    if (region && event.detail && typeof event.detail.value === "string") {
      const line = document.createElement("p");
      line.textContent = event.detail.value;
      region.replaceChildren(line);
    }
  });

  // htmx swaps no error answer by itself: show (and announce) what went wrong above the content, and
  // beside the control that sent the request: the box above the content may be a screen away (a
  // catalog row far down a phone's page), and a click that seems to do nothing is clicked again.
  // One message is seen: the box stays for screen readers (it is the alert) but is hidden from the
  // eye while its words stand beside the control.
  const errorBox = () => document.getElementById("request-error");
  const CONTROLS = "form, button, a, input, select, textarea";
  const IN_TABLE_STRUCTURE = "table, thead, tbody, tfoot, tr";

  // Where the message goes after: the form of the control (or the control), when a person used it in
  // the page's content; none for a poll, a region refreshing itself or the navigation's count.
  function besideWhat(elt) {
    const main = document.getElementById("main");
    if (!elt || !elt.matches || !main || !main.contains(elt) || !elt.matches(CONTROLS)) return null;
    const anchor = elt.closest("form") || elt;
    return anchor.parentElement && !anchor.parentElement.matches(IN_TABLE_STRUCTURE) ? anchor : null;
  }

  function clearErrorsBeside() {
    for (const line of document.querySelectorAll(".request-error-here")) line.remove();
    const box = errorBox();
    if (box) box.classList.remove("visually-hidden");
  }

  function showError(text, elt) {
    const box = errorBox();
    if (!box) return;
    clearErrorsBeside();
    box.textContent = text;
    box.hidden = false;
    const anchor = besideWhat(elt);
    if (!anchor) return;
    const line = document.createElement("p");
    line.className = "request-error-here field-error";
    line.textContent = text;
    anchor.after(line);
    box.classList.add("visually-hidden");
  }

  // A file the server would not take (413) is said next to its field, as the app says a refused
  // picture: in place of what the field said of an earlier file, the field marked invalid and focused
  // (a screen reader reads its label and the message). False when the form sent has no file field.
  function showNextToFile(form, text) {
    const field = form instanceof HTMLFormElement && Array.from(form.elements).find((e) => e.type === "file");
    if (!field || !field.id || !text) return false;
    const id = field.id + "-error";
    let message = document.getElementById(id);
    if (!message) {
      message = document.createElement("small");
      message.id = id;
      message.className = "field-error picture-error";
      field.insertAdjacentElement("afterend", message);
    }
    message.textContent = text;
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", id);
    field.focus();
    return true;
  }

  document.addEventListener("htmx:responseError", (event) => {
    const box = errorBox();
    if (!box) return;
    let text = "";
    const xhr = event.detail.xhr;
    if (xhr && xhr.status === 413) {
      // nginx refused the body before any app saw it (a picture over its limit): say so in the page's language.
      text = box.dataset.tooLarge || "";
      if (showNextToFile(event.detail.elt, text)) return;
    } else if (xhr && /text\/html/.test(xhr.getResponseHeader("Content-Type") || "")) {
      // Parsed, never run: only the text of the shop's own error message is taken.
      const doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const message = doc.querySelector(".error-message, .error-page p");
      text = message ? message.textContent.trim() : "";
    }
    if (!text && xhr && xhr.status === 503) {
      // nginx's own page for an app that does not answer (nginx.conf, @unavailable): not a bug to report.
      text = box.dataset.unavailable || "";
    }
    showError(text || box.dataset.fallback, event.detail.elt);
  });

  document.addEventListener("htmx:sendError", (event) => {
    const box = errorBox();
    if (box) showError(box.dataset.offline, event.detail.elt);
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const box = errorBox();
    if (box && event.detail.successful && !box.hidden) {
      box.hidden = true;
      box.textContent = "";
      clearErrorsBeside();
    }
  });
})();
