// Keyboard and screen-reader repairs of AdminJS 7.8's markup, mounted once on every page (overrides
// AdminJS's Footer, which renders nothing). The design system draws its buttons as <a> elements
// without href (Filter, a row's "…" menu, the sidebar's groups), which Tab skips and Enter ignores;
// its dropdowns open on mouse hover only; its checkboxes, the modal's close button and the array
// editor's remove button have no name; the react-select inputs are not tied to their labels. Each
// repair only adds attributes and listeners, never replaces what React rendered, and runs again
// whenever the page changes. The delete dialog's empty buttons get their text from CSS (below) and
// their name here.
import React, { useEffect } from 'react';
import { createGlobalStyle } from '@adminjs/design-system/styled-components';

/** AdminJS's modal passes a button's text as a `label` attribute the design system does not render. */
const ButtonLabels = createGlobalStyle`
  button[label]:empty::after {
    content: attr(label);
  }
`;

/** Buttons the design system drew as <a> without href: focusable, announced as buttons. */
function repairAnchorButtons(root) {
  // A checkbox's drawn box is an <a> too, next to the real (focusable) input: left alone.
  for (const link of root.querySelectorAll('a:not([href]):not([tabindex])')) {
    if (link.closest('.adminjs_Checkbox')) continue;
    link.setAttribute('tabindex', '0');
    link.setAttribute('role', 'button');
  }
  // A sidebar group is followed by its list of resources while it is open.
  for (const group of root.querySelectorAll('li > a[role="button"]')) {
    const open = group.nextElementSibling?.tagName === 'UL';
    if (group.getAttribute('aria-expanded') !== String(open))
      group.setAttribute('aria-expanded', String(open));
  }
}

/** A name for every control the design system left unnamed. */
function nameControls(root) {
  const name = (selector, label) => {
    for (const el of root.querySelectorAll(selector))
      if (!el.hasAttribute('aria-label')) el.setAttribute('aria-label', label(el));
  };
  name('thead input[type="checkbox"]', () => 'Select all rows on this page');
  name('tr[data-id] input[type="checkbox"]', (el) => `Select row ${el.closest('tr').dataset.id}`);
  // The modal's buttons carry their text in a `label` attribute and render nothing (AdminJS 7.8).
  name('button[label]', (el) => el.getAttribute('label'));
  name('button.close-button', () => 'Close');
  name('button[data-testid="delete-item"]', () => 'Remove this item');
  name('[data-testid="actions-dropdown"]', () => 'Actions');
  name('[data-css$="-filter-drawer-content"] > div:first-child button', () => 'Close filters');
  // Inputs not tied to a label (react-select's, the filter drawer's, a date range's two ends): named
  // after their form group's label, "Category", "Created from", "Created to".
  for (const group of root.querySelectorAll('section')) {
    const label = group.querySelector('label')?.textContent?.trim();
    const inputs = [...group.querySelectorAll('input:not([type="hidden"]):not([type="checkbox"])')].filter(
      (input) => !input.labels?.length && !input.hasAttribute('aria-label'),
    );
    const range = inputs.length === 2 && group.querySelectorAll('.adminjs_DatePicker').length === 2;
    inputs.forEach((input, i) => {
      input.setAttribute('aria-label', `${label || 'Value'}${range ? (i === 0 ? ' from' : ' to') : ''}`);
    });
  }
}

/** The closed filter drawer is only moved off-screen: inert, so Tab does not wander into it. */
function hideClosedDrawers(root) {
  for (const drawer of root.querySelectorAll('[data-css$="-filter-drawer"]')) {
    const closed = drawer.getBoundingClientRect().left >= window.innerWidth - 1;
    if (drawer.inert !== closed) drawer.inert = closed;
  }
}

const repair = () => {
  repairAnchorButtons(document);
  nameControls(document);
  hideClosedDrawers(document);
};

/** React's onMouseEnter/onMouseLeave listen for mouseover/mouseout: the dropdowns open on these. */
const hover = (target, type, related) =>
  target.dispatchEvent(
    new window.MouseEvent(type, { bubbles: true, relatedTarget: related ?? document.body }),
  );

/** Enter or Space on a repaired button: open its dropdown (if any) and click it. */
const onKeyDown = (event) => {
  const el = event.target;
  if (!(el instanceof window.HTMLElement) || el.getAttribute('role') !== 'button' || el.tagName !== 'A')
    return;
  if (event.key !== 'Enter' && event.key !== ' ') return;
  event.preventDefault();
  hover(el, 'mouseover');
  el.click();
};

/**
 * Focus moving on is the mouse moving on: React computes which hovered parts were left from the
 * event's relatedTarget, so a dropdown stays open while focus moves inside it and closes after.
 */
const onFocusOut = (event) => {
  if (!(event.target instanceof window.HTMLElement)) return;
  hover(
    event.target,
    'mouseout',
    event.relatedTarget instanceof window.Node ? event.relatedTarget : document.body,
  );
};

const KeyboardAccess = () => {
  useEffect(() => {
    repair();
    const observer = new window.MutationObserver(repair);
    observer.observe(document.body, { childList: true, subtree: true, attributeFilter: ['class'] });
    document.addEventListener('keydown', onKeyDown);
    document.addEventListener('focusout', onFocusOut);
    // A drawer's place is known once it has slid in or out.
    document.addEventListener('transitionend', repair);
    return () => {
      observer.disconnect();
      document.removeEventListener('transitionend', repair);
      document.removeEventListener('keydown', onKeyDown);
      document.removeEventListener('focusout', onFocusOut);
    };
  }, []);
  return <ButtonLabels />;
};

export default KeyboardAccess;
