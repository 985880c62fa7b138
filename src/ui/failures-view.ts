// The images a run could not classify: how many of each cause, then each one with its reason.

import type { Failures } from '../store/evaluate.ts';
import { ERROR_CAUSES } from '../core/outcome.ts';
import { h, replace } from './dom.ts';

export function createFailuresView() {
  const summary = h('p', { 'data-testid': 'failures-summary' });
  const list = h('ul', { class: 'failures-list' });
  const more = h('p', { class: 'hint' });
  const root = h('section', { class: 'failures', 'data-testid': 'failures' }, h('h2', {}, 'Failures'), summary, list, more);

  function show(f: Failures): void {
    if (f.total === 0) {
      replace(summary, 'No image failed.');
      replace(list);
      replace(more);
      return;
    }
    const causes = ERROR_CAUSES.filter((c) => f.byCause[c]).map((c) => `${c} ${f.byCause[c]}`).join(', ');
    replace(summary, `${f.total} ${f.total === 1 ? 'image' : 'images'} failed: ${causes}.`);
    replace(list, ...f.items.map((item) =>
      h('li', { 'data-path': item.path }, h('span', { class: 'path' }, item.path), ' — ', h('span', { class: 'error' }, `${item.cause ?? 'error'}: ${item.error}`))));
    replace(more, f.more ? `and ${f.more} more` : '');
  }

  return { root, show };
}
