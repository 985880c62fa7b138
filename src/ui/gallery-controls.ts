// The gallery's filter: one class (predicted or true), and all images, the wrong ones or the
// failed ones; and how many of the run's images it lets through.

import { byName } from '../store/evaluate.ts';
import { h, replace } from './dom.ts';
import type { GalleryEntry, GalleryFilter, GalleryShow } from './gallery-entries.ts';

export function createGalleryControls(onChange: (change: Partial<GalleryFilter>) => void) {
  const classSelect = h('select', { 'data-testid': 'gallery-class', onchange: () => onChange({ label: classSelect.value }) });
  const radio = (show: GalleryShow, text: string) =>
    h('label', { class: 'inline' },
      h('input', { type: 'radio', name: 'gallery-show', value: show, checked: show === 'all', 'data-testid': `gallery-${show}`, onchange: () => onChange({ show }) }),
      ` ${text}`);
  const count = h('span', { class: 'hint', 'data-testid': 'gallery-count' });
  const root = h('div', { class: 'gallery-controls' },
    h('label', { class: 'inline class-filter' }, 'class ', classSelect),
    radio('all', 'all'), radio('wrong', 'wrong only'), radio('errors', 'errors only'), count);

  /** Back to every image, with the classes of `entries` to choose from, each with its count. */
  function reset(entries: readonly GalleryEntry[]): void {
    for (const input of root.querySelectorAll('input')) input.checked = input.value === 'all';
    const seen = new Map<string, number>();
    const bump = (c: string | null) => c !== null && seen.set(c, (seen.get(c) ?? 0) + 1);
    for (const e of entries) {
      bump(e.label);
      if (e.trueLabel !== e.label) bump(e.trueLabel);
    }
    replace(classSelect, h('option', { value: '' }, `every class (${entries.length})`),
      ...[...seen.keys()].sort(byName).map((c) => h('option', { value: c }, `${c} (${seen.get(c)})`)));
  }

  return {
    root,
    reset,
    counted(shown: number, of: number): void {
      replace(count, `${shown} of ${of} images`);
    },
  };
}
