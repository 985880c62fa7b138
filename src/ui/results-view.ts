// The first rows of a run, read back from IndexedDB: the same view after a reload.

import type { ResultRow } from '../store/results.ts';
import { h, replace } from './dom.ts';

export function createResultsView() {
  const body = h('tbody');
  const caption = h('caption');
  const root = h('table', { class: 'results', 'data-testid': 'results', hidden: true }, caption,
    h('thead', {}, h('tr', {}, h('th', {}, 'path'), h('th', {}, 'label'), h('th', {}, 'score'), h('th', {}, 'error'))), body);

  let shown = 0;

  /** The count alone, for a run whose first rows are already on screen. */
  function count(total: number): void {
    // No run, or none of its rows stored yet: no empty table.
    root.hidden = total === 0;
    replace(caption, total > shown ? `First ${shown} of ${total} results` : `${total} results`);
  }

  function show(rows: readonly ResultRow[], total: number): void {
    shown = rows.length;
    count(total);
    replace(body, ...rows.map((r) =>
      h('tr', { class: r.error ? 'failed' : '' },
        h('td', { class: 'path' }, r.path),
        h('td', {}, r.label ?? ''),
        h('td', { class: 'num' }, r.score === null ? '' : r.score.toFixed(4)),
        h('td', { class: 'error' }, r.error ? `${r.cause}: ${r.error}` : ''))));
  }

  return { root, show, count };
}
