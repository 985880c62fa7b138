// Every image of a run as a thumbnail grid (gallery-grid.ts), filtered by class and by right,
// wrong or failed (gallery-controls.ts), each opened large in the detail view. In memory it keeps
// a compact entry per image (gallery-entries.ts); thumbnails and full rows are read from
// IndexedDB when a cell or the detail view needs them.

import type { TenchDB } from '../store/db.ts';
import { h } from './dom.ts';
import { createGalleryControls } from './gallery-controls.ts';
import { createGalleryDetail } from './gallery-detail.ts';
import { matches, type GalleryEntry, type GalleryFilter } from './gallery-entries.ts';
import { createGalleryGrid } from './gallery-grid.ts';

export function createGalleryView(db: TenchDB) {
  let runId = '';
  let entries: GalleryEntry[] = [];
  // Indices into `entries` of the images the filter lets through, in order.
  let shown: number[] = [];
  const filter: GalleryFilter = { label: '', show: 'all' };
  const controls = createGalleryControls(setFilter);
  const detail = createGalleryDetail(db);
  const grid = createGalleryGrid(db, (path) => void detail.open(source(), path));
  const root = h('section', { class: 'gallery', 'data-testid': 'gallery' }, h('h2', {}, 'Gallery'), controls.root, grid.root, detail.root);

  function show(id: string, all: GalleryEntry[]): void {
    runId = id;
    entries = all;
    filter.label = '';
    filter.show = 'all';
    controls.reset(entries);
    detail.close();
    grid.load(id, entries);
    refilter();
    root.dataset.run = id;
  }

  function setFilter(change: Partial<GalleryFilter>): void {
    Object.assign(filter, change);
    // Back to the grid's first row, where the page had scrolled past it.
    const top = grid.root.getBoundingClientRect().top;
    if (top < 0) scrollBy(0, top);
    refilter();
  }

  function refilter(): void {
    shown = [];
    for (let i = 0; i < entries.length; i++) if (matches(entries[i]!, filter)) shown.push(i);
    controls.counted(shown.length, entries.length);
    grid.show(shown);
  }

  /** What the detail view needs of the gallery: the run, and the images' order now. */
  function source() {
    return {
      runId,
      neighbour(path: string, step: -1 | 1): string | null {
        const at = shown.findIndex((i) => entries[i]!.path === path);
        const next = at < 0 ? undefined : shown[at + step];
        return next === undefined ? null : entries[next]!.path;
      },
    };
  }

  return { root, show };
}
