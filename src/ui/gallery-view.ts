// Every image of a run as a thumbnail grid. Only the rows of cells in view (and a few around them)
// are in the DOM, in a grid as tall as all of its rows, so a run of 100,000 images scrolls as
// lightly as one of ten. The page itself scrolls, not a box inside it: on a phone a nested scroll
// box traps the thumb. As many columns as fit, each as wide as the row allows. In memory it keeps a compact entry per image; thumbnails and full rows are
// read from IndexedDB when a cell or the detail view needs them, and their object URLs are revoked
// as soon as those leave.

import type { TenchDB } from '../store/db.ts';
import { getThumb, type ResultRow } from '../store/results.ts';
import { byName } from '../store/evaluate.ts';
import { h, replace } from './dom.ts';
import { createGalleryDetail } from './gallery-detail.ts';

export interface GalleryEntry {
  path: string;
  seq: number;
  label: string | null;
  score: number | null;
  trueLabel: string | null;
  failed: boolean;
  /** A failed image's cause and reason, shown on its tile. */
  cause: string | null;
  error: string | null;
}

export type GalleryShow = 'all' | 'wrong' | 'errors';

export interface GalleryFilter {
  /** A class name matched against the predicted or the true label; '' for every class. */
  label: string;
  show: GalleryShow;
}

export function galleryEntry(row: ResultRow): GalleryEntry {
  return { path: row.path, seq: row.seq, label: row.label, score: row.score, trueLabel: row.trueLabel, failed: row.error !== null, cause: row.cause, error: row.error };
}

/** Wrong means a prediction that differs from a known true label; a failed image has no prediction. */
export const isWrong = (e: GalleryEntry): boolean => !e.failed && e.trueLabel !== null && e.label !== e.trueLabel;

export function matches(e: GalleryEntry, f: GalleryFilter): boolean {
  if (f.label && e.label !== f.label && e.trueLabel !== f.label) return false;
  if (f.show === 'wrong') return isWrong(e);
  if (f.show === 'errors') return e.failed;
  return true;
}

/** The narrowest cell: a 96-px thumbnail, its padding, border and the gap. Matches style.css. */
export const MIN_CELL_W = 114;
export const CELL_H = 164;
const GAP = 8;
/** Rows of cells kept beyond each edge of the view, so a scroll step finds them already there. */
export const OVERSCAN = 2;
/** Used before the grid is laid out (a hidden panel measures 0). */
const FALLBACK_W = 960;

interface Cell {
  el: HTMLButtonElement;
  img: HTMLImageElement;
  url: string | null;
  live: boolean;
}

export function createGalleryView(db: TenchDB) {
  let runId = '';
  let entries: GalleryEntry[] = [];
  let shown: number[] = [];
  const filter: GalleryFilter = { label: '', show: 'all' };
  const cells = new Map<number, Cell>();
  let frame = 0;

  const classSelect = h('select', { 'data-testid': 'gallery-class', onchange: () => setFilter({ label: classSelect.value }) });
  const radio = (show: GalleryShow, text: string) =>
    h('label', { class: 'inline' },
      h('input', { type: 'radio', name: 'gallery-show', value: show, checked: show === 'all', 'data-testid': `gallery-${show}`, onchange: () => setFilter({ show }) }),
      ` ${text}`);
  const count = h('span', { class: 'hint', 'data-testid': 'gallery-count' });
  const controls = h('div', { class: 'gallery-controls' },
    h('label', { class: 'inline class-filter' }, 'class ', classSelect),
    radio('all', 'all'), radio('wrong', 'wrong only'), radio('errors', 'errors only'), count);
  const grid = h('div', { class: 'gallery-grid', 'data-testid': 'gallery-grid' });
  const detail = createGalleryDetail(db);
  const root = h('section', { class: 'gallery', 'data-testid': 'gallery' }, h('h2', {}, 'Gallery'), controls, grid, detail.root);
  new ResizeObserver(() => schedule()).observe(grid);
  addEventListener('scroll', () => schedule(), { passive: true });
  addEventListener('resize', () => schedule());

  function show(id: string, all: GalleryEntry[]): void {
    runId = id;
    entries = all;
    filter.label = '';
    filter.show = 'all';
    for (const input of controls.querySelectorAll('input')) input.checked = input.value === 'all';
    fillClasses();
    detail.close();
    for (const key of [...cells.keys()]) drop(key);
    refilter();
    root.dataset.run = id;
  }

  function fillClasses(): void {
    const seen = new Map<string, number>();
    const bump = (c: string | null) => c !== null && seen.set(c, (seen.get(c) ?? 0) + 1);
    for (const e of entries) {
      bump(e.label);
      if (e.trueLabel !== e.label) bump(e.trueLabel);
    }
    replace(classSelect, h('option', { value: '' }, `every class (${entries.length})`),
      ...[...seen.keys()].sort(byName).map((c) => h('option', { value: c }, `${c} (${seen.get(c)})`)));
  }

  function setFilter(change: Partial<GalleryFilter>): void {
    Object.assign(filter, change);
    // Back to the grid's first row, where the page had scrolled past it.
    const top = grid.getBoundingClientRect().top;
    if (top < 0) scrollBy(0, top);
    refilter();
  }

  function refilter(): void {
    shown = [];
    for (let i = 0; i < entries.length; i++) if (matches(entries[i]!, filter)) shown.push(i);
    replace(count, `${shown.length} of ${entries.length} images`);
    render();
  }

  function schedule(): void {
    if (!frame) frame = requestAnimationFrame(() => {
      frame = 0;
      render();
    });
  }

  function render(): void {
    const width = grid.clientWidth || FALLBACK_W;
    const columns = Math.max(1, Math.floor(width / MIN_CELL_W));
    const cellW = width / columns;
    grid.style.setProperty('--cell-w', `${cellW - GAP}px`);
    const rows = Math.ceil(shown.length / columns);
    grid.style.height = `${rows * CELL_H}px`;
    // The part of the grid in the window; a grid still below it shows its first screenful.
    const rect = grid.getBoundingClientRect();
    const top = Math.max(0, -rect.top);
    const first = Math.max(0, Math.floor(top / CELL_H) - OVERSCAN);
    const last = Math.min(rows, Math.ceil((top + innerHeight) / CELL_H) + OVERSCAN);
    const wanted = new Map<number, number>();
    for (let slot = first * columns; slot < Math.min(shown.length, last * columns); slot++) wanted.set(shown[slot]!, slot);
    for (const key of [...cells.keys()]) if (!wanted.has(key)) drop(key);
    for (const [key, slot] of wanted) {
      const cell = cells.get(key) ?? make(key);
      cell.el.style.transform = `translate(${(slot % columns) * cellW}px, ${Math.floor(slot / columns) * CELL_H}px)`;
    }
  }

  function make(key: number): Cell {
    const e = entries[key]!;
    const img = h('img', { alt: '', width: 96, height: 96, decoding: 'async' });
    const state = e.failed ? 'failed' : e.trueLabel === null ? '' : isWrong(e) ? 'wrong' : 'right';
    const el = h('button', { type: 'button', class: `gallery-cell ${state}`, 'data-testid': 'gallery-cell', 'data-path': e.path, title: e.failed ? `${e.path}: ${e.error}` : e.path, onclick: () => void detail.open(source(), e.path) },
      h('span', { class: 'thumb' }, e.failed ? h('span', { class: 'no-thumb' }, 'failed') : img),
      h('span', { class: 'cell-label' }, e.failed ? (e.cause ?? 'error') : (e.label ?? '')),
      h('span', { class: 'cell-score' }, e.score === null ? '' : e.score.toFixed(3)),
      h('span', { class: 'cell-path' }, e.path));
    const cell: Cell = { el, img, url: null, live: true };
    cells.set(key, cell);
    grid.append(el);
    if (!e.failed) void loadThumb(runId, e.path, cell);
    return cell;
  }

  async function loadThumb(id: string, path: string, cell: Cell): Promise<void> {
    const blob = await getThumb(db, id, path).catch(() => undefined);
    if (!blob || !cell.live) return;
    cell.url = URL.createObjectURL(blob);
    cell.img.src = cell.url;
  }

  function drop(key: number): void {
    const cell = cells.get(key);
    if (!cell) return;
    cells.delete(key);
    cell.live = false;
    cell.el.remove();
    if (cell.url) URL.revokeObjectURL(cell.url);
    cell.url = null;
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
