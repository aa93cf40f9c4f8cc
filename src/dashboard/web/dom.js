// Builds DOM nodes with text only: every string that came over MQTT becomes a text node or an attribute value,
// never markup (no innerHTML anywhere in the dashboard's code).

/**
 * h('div', { class: 'x', dataset: { seq: 3 } }, 'text', child): attribute names are always the code's own;
 * values and children are data.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = String(value);
    else if (key === 'dataset') for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** Appends nodes and strings (as text); null, undefined and false are skipped, arrays flattened. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A confidence bar: the width is set through the CSSOM (allowed by the page's CSP, unlike style attributes). */
export function bar(fraction, colour) {
  const fill = h('span', { class: 'fe-bar-fill' });
  fill.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
  if (colour) fill.style.background = colour;
  return h('span', { class: 'fe-bar' }, fill);
}

/** "12 s ago", "3 min ago" from an ISO time. */
export function ago(iso, now = Date.now()) {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/** 2013-06-04 17:38:16.250 UTC */
export function utc(iso) {
  return typeof iso === 'string' ? iso.replace('T', ' ').replace('Z', ' UTC') : '';
}

export function percent(score) {
  return `${(score * 100).toFixed(1)} %`;
}
