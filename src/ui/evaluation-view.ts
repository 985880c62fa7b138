// A run against its true labels: accuracy, top-5, a per-class table and the confusion matrix.
// The matrix is drawn the same way every time (fixed cell size, white background, no animation),
// so screenshots and pixel reads of it are stable.

import { outsideSentence, type Confusion, type Evaluation } from '../store/evaluate.ts';
import { h, plural, replace } from './dom.ts';

const percent = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);

export function createEvaluationView() {
  const summary = h('p', { class: 'eval-summary', 'data-testid': 'eval-summary' });
  const note = h('p', { class: 'hint' });
  const matrix = h('div', { class: 'confusion-wrap' });
  const table = h('div', { class: 'per-class-wrap' });
  const details = h('div', { class: 'eval-details' }, matrix, table);
  const root = h('section', { class: 'evaluation', 'data-testid': 'evaluation' }, h('h2', {}, 'Evaluation'), summary, note, details);

  function show(runId: string, e: Evaluation): void {
    root.dataset.run = runId;
    const outside = outsideSentence(e);
    if (e.labelled === 0) {
      replace(summary, e.failedLabelled
        ? `No successful image has a true label (${plural(e.failedLabelled, 'labelled image')} failed).`
        : outside ? 'No image of this run has a true label among the model\'s classes, so there is nothing to evaluate.'
          : 'No image of this run has a true label, so there is nothing to evaluate.');
      replace(note, outside ? `${capitalized(outside)}.` : '');
      replace(matrix);
      replace(table);
      details.hidden = true;
      return;
    }
    details.hidden = false;
    const topName = e.topKDepth < 5 ? `top-${e.topKDepth}` : 'top-5';
    replace(summary,
      `Accuracy ${percent(e.accuracy)} (${e.correct} of ${plural(e.labelled, 'labelled image')}) · `,
      `${topName} ${percent(e.top5Accuracy)} (${e.top5Correct} of ${e.labelled})`);
    const unlabelled = e.rows - e.failed - e.labelled;
    replace(note,
      outside ? `${capitalized(outside)}. ` : '',
      e.failed ? `${plural(e.failed, 'failed image')} ${e.failed === 1 ? 'is' : 'are'} not counted in accuracy, precision or recall. ` : '',
      unlabelled ? `${plural(unlabelled, 'image')} without a true label ${unlabelled === 1 ? 'is' : 'are'} not counted. ` : '',
      e.topKDepth < 5 ? `The run kept ${e.topKDepth} labels per image, so top-5 is read as ${topName}.` : '');
    replace(matrix,
      h('p', { class: 'hint' }, 'Rows: true label. Columns: predicted label; "other" is a prediction outside the true labels. Shade: share of the row.'),
      confusionCanvas(e.confusion));
    replace(table, perClassTable(e));
  }

  return { root, show };
}

function perClassTable(e: Evaluation): HTMLTableElement {
  return h('table', { class: 'per-class', 'data-testid': 'per-class' },
    h('thead', {}, h('tr', {}, h('th', {}, 'class'), h('th', {}, 'support'), h('th', {}, 'predicted'), h('th', {}, 'precision'), h('th', {}, 'recall'))),
    h('tbody', {}, ...e.perClass.map((c) =>
      h('tr', {},
        h('td', { class: 'path' }, c.label),
        h('td', { class: 'num' }, c.support),
        h('td', { class: 'num' }, c.predicted),
        h('td', { class: 'num' }, percent(c.precision)),
        h('td', { class: 'num' }, percent(c.recall))))));
}

/** Pixels per cell: fixed for a given class count, smaller as the matrix grows so it stays drawable. */
export function cellSize(classes: number): number {
  if (classes <= 12) return 40;
  if (classes <= 30) return 28;
  return Math.max(4, Math.min(20, Math.floor(1200 / (classes + 1))));
}

const FONT = '13px sans-serif';
const LABEL_CHARS = 28;
const MAX_LABEL_PX = 220;
const EMPTY = '#ffffff';
const GRID = '#d8d8d8';

/** From a light to a dark blue by a row's share; any count above zero is visibly off white. */
function shade(share: number): string {
  const t = 0.1 + 0.9 * Math.min(1, Math.max(0, share));
  const mix = (from: number, to: number) => Math.round(from + (to - from) * t);
  return `rgb(${mix(226, 8)}, ${mix(238, 48)}, ${mix(250, 107)})`;
}

/** An ImageNet label lists synonyms ("tench, Tinca tinca"): the first names the class well enough
 * for an axis, and the per-class table beside it has the whole label. */
const shorten = (label: string) => {
  const first = label.split(',')[0]!.trim() || label;
  return first.length > LABEL_CHARS ? `${first.slice(0, LABEL_CHARS - 1)}…` : first;
};

/** The matrix as a canvas, drawn at the screen's pixel density so its labels stay sharp.
 * data-classes, data-cell and data-x/data-y (the grid's top-left corner) say where each cell lies,
 * in CSS pixels; data-scale is canvas pixels per CSS pixel. */
export function confusionCanvas(confusion: Confusion): HTMLCanvasElement {
  const { classes, counts } = confusion;
  const columns = [...classes, 'other'];
  const cell = cellSize(classes.length);
  const showLabels = cell >= 12;
  const canvas = h('canvas', { class: 'confusion', 'data-testid': 'confusion' });
  const ctx = canvas.getContext('2d');
  let margin = 8;
  if (ctx && showLabels) {
    ctx.font = FONT;
    margin += Math.ceil(Math.min(MAX_LABEL_PX, Math.max(...columns.map((c) => ctx.measureText(shorten(c)).width))));
  }
  const x0 = margin;
  const y0 = margin;
  const width = x0 + columns.length * cell + 1;
  const height = y0 + classes.length * cell + 1;
  const scale = Math.min(3, Math.max(1, Math.round(globalThis.devicePixelRatio || 1)));
  canvas.width = width * scale;
  canvas.height = height * scale;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.dataset.classes = JSON.stringify(classes);
  canvas.dataset.cell = String(cell);
  canvas.dataset.x = String(x0);
  canvas.dataset.y = String(y0);
  canvas.dataset.scale = String(scale);
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `confusion matrix of ${classes.length} true classes and an "other" column`);
  if (!ctx) return canvas;

  ctx.scale(scale, scale);
  ctx.fillStyle = EMPTY;
  ctx.fillRect(0, 0, width, height);
  ctx.font = FONT;
  ctx.textBaseline = 'middle';
  counts.forEach((line, t) => {
    const total = line.reduce((a, b) => a + b, 0);
    line.forEach((n, p) => {
      if (n === 0) return;
      const share = n / total;
      const x = x0 + p * cell;
      const y = y0 + t * cell;
      ctx.fillStyle = shade(share);
      ctx.fillRect(x, y, cell, cell);
      const text = String(n);
      if (cell >= 24 && ctx.measureText(text).width <= cell - 4) {
        // Never pure white, so no pixel of a counted cell reads as an empty one.
        ctx.fillStyle = share > 0.5 ? '#f2f2f2' : '#111111';
        ctx.textAlign = 'center';
        ctx.fillText(text, x + cell / 2, y + cell / 2);
      }
    });
  });

  ctx.strokeStyle = GRID;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let i = 0; i <= columns.length; i++) {
    ctx.moveTo(x0 + i * cell + 0.5, y0);
    ctx.lineTo(x0 + i * cell + 0.5, y0 + classes.length * cell);
  }
  for (let i = 0; i <= classes.length; i++) {
    ctx.moveTo(x0, y0 + i * cell + 0.5);
    ctx.lineTo(x0 + columns.length * cell, y0 + i * cell + 0.5);
  }
  ctx.stroke();

  if (showLabels) {
    ctx.fillStyle = '#333333';
    ctx.textAlign = 'right';
    classes.forEach((c, t) => ctx.fillText(shorten(c), x0 - 4, y0 + t * cell + cell / 2, MAX_LABEL_PX));
    ctx.save();
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'left';
    // Rotated a quarter turn: x runs up the canvas, y runs right.
    columns.forEach((c, p) => {
      ctx.font = p === classes.length ? `italic ${FONT}` : FONT;
      ctx.fillText(shorten(c), -(y0 - 4), x0 + p * cell + cell / 2, MAX_LABEL_PX);
    });
    ctx.restore();
  }
  return canvas;
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
