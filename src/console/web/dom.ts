/** A small element builder: text is always set as text, never parsed as HTML. */
type Attrs = Record<string, string | number | boolean | ((e: Event) => void) | undefined>;
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'object' ? c : String(c));
  return el;
}

let ids = 0;
/** A unique id for a label's `for`. */
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A labelled input: the label and the input, tied by id. */
export function field(label: string, attrs: Attrs): [HTMLLabelElement, HTMLInputElement] {
  const id = typeof attrs.id === 'string' ? attrs.id : uid('f');
  return [h('label', { for: id }, label), h('input', { ...attrs, id })];
}

/** A table with a caption and headers. */
export function table(caption: string, headers: string[], rows: Child[][]): HTMLTableElement {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
  );
}

export function when(at: number | string | null | undefined): string {
  if (at === null || at === undefined) return '—';
  return new Date(at).toISOString().replace('T', ' ').slice(0, 19);
}

/** Says something to screen readers and sighted users alike. */
export function announce(text: string, bad = false): void {
  const status = document.getElementById('status');
  if (!status) return;
  status.textContent = text;
  status.className = bad ? 'bad' : '';
}
