// Building the page from data without ever parsing data as HTML: every
// value goes in as text, so a cell holding "<script>" shows as typed.

// h('a', {href: '#/', class: 'x', onClick: fn}, 'text', child, [more])
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'data') Object.assign(el.dataset, value);
    else if (key.startsWith('on')) el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'value' || key === 'checked' || key === 'selected') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

// A table from column titles and rows of cells (text or nodes).
export function table(caption, headers, rows, props = {}) {
  return h('table', props,
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', {scope: 'col'}, t)))),
    h('tbody', {}, rows.map((cells) => cells instanceof Node ? cells
      : h('tr', {}, cells.map((c) => c instanceof Node && c.tagName === 'TD' ? c : h('td', {}, c))))));
}

// A box saying what went wrong, in the API's own words.
export function errorBox(what, error) {
  return h('div', {class: 'error', role: 'alert'},
    h('strong', {}, what), ' ', error.message,
    error.code ? h('span', {class: 'code'}, ` (${error.code})`) : null);
}

export function emptyNote(text) {
  return h('p', {class: 'empty'}, text);
}

export function loading() {
  return h('p', {class: 'loading', role: 'status'}, 'Loading…');
}

// "2026-11-23T15:13:00Z" or milliseconds -> "23 Nov 2026, 15:13" (local time).
export function when(value) {
  if (!value) return '—';
  const date = typeof value === 'number' ? new Date(value) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(undefined, {dateStyle: 'medium', timeStyle: 'short'});
}

// Milliseconds ago in words: "just now", "5 minutes ago".
export function ago(ms) {
  if (!ms) return 'never';
  const seconds = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (seconds < 10) return 'just now';
  if (seconds < 90) return `${seconds} seconds ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} minutes ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `${hours} hours ago`;
  return when(ms);
}

export function count(n, one, many = one + 's') {
  return `${Number(n).toLocaleString()} ${n === 1 ? one : many}`;
}

// A labelled form control: h('label') wrapping the text and the control.
export function field(labelText, control, hint) {
  return h('label', {class: 'field'}, h('span', {class: 'label'}, labelText), control,
    hint ? h('span', {class: 'hint'}, hint) : null);
}

export function select(name, options, value) {
  return h('select', {name},
    options.map(([v, text]) => h('option', {value: v, selected: v === value}, text)));
}
