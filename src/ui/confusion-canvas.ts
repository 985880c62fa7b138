// The confusion matrix as a canvas: rows are true labels, columns predicted ones and "other",
// each cell shaded by its share of the row. Drawn the same way every time (fixed cell size, white
// background, no animation), so screenshots and pixel reads of it are stable.

import type { Confusion } from '../store/evaluate.ts';
import { h } from './dom.ts';

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

/** Where the grid lies, in CSS pixels: its top-left corner, its cell, and its row and column names. */
interface Layout {
  classes: readonly string[];
  columns: readonly string[];
  cell: number;
  x0: number;
  y0: number;
  showLabels: boolean;
}

/** Room for the longest label (shortened) left of and above the grid, when cells are large enough to label. */
function layoutOf(classes: readonly string[], ctx: CanvasRenderingContext2D | null): Layout {
  const columns = [...classes, 'other'];
  const cell = cellSize(classes.length);
  const showLabels = cell >= 12;
  let margin = 8;
  if (ctx && showLabels) {
    ctx.font = FONT;
    margin += Math.ceil(Math.min(MAX_LABEL_PX, Math.max(...columns.map((c) => ctx.measureText(shorten(c)).width))));
  }
  return { classes, columns, cell, x0: margin, y0: margin, showLabels };
}

/** Sized at the screen's pixel density, with where its cells lie in data- attributes. */
function sizeCanvas(canvas: HTMLCanvasElement, l: Layout): { width: number; height: number; scale: number } {
  const width = l.x0 + l.columns.length * l.cell + 1;
  const height = l.y0 + l.classes.length * l.cell + 1;
  const scale = Math.min(3, Math.max(1, Math.round(globalThis.devicePixelRatio || 1)));
  canvas.width = width * scale;
  canvas.height = height * scale;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.dataset.classes = JSON.stringify(l.classes);
  canvas.dataset.cell = String(l.cell);
  canvas.dataset.x = String(l.x0);
  canvas.dataset.y = String(l.y0);
  canvas.dataset.scale = String(scale);
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `confusion matrix of ${l.classes.length} true classes and an "other" column`);
  return { width, height, scale };
}

/** Each counted cell, shaded, with its count where the count fits. */
function drawCells(ctx: CanvasRenderingContext2D, counts: Confusion['counts'], l: Layout): void {
  const { cell, x0, y0 } = l;
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
}

function drawGrid(ctx: CanvasRenderingContext2D, l: Layout): void {
  const { cell, x0, y0, columns, classes } = l;
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
}

/** True labels down the left, predicted ones up the top, "other" in italics. */
function drawLabels(ctx: CanvasRenderingContext2D, l: Layout): void {
  const { cell, x0, y0, columns, classes } = l;
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

/** The matrix as a canvas, drawn at the screen's pixel density so its labels stay sharp.
 * data-classes, data-cell and data-x/data-y (the grid's top-left corner) say where each cell lies,
 * in CSS pixels; data-scale is canvas pixels per CSS pixel. */
export function confusionCanvas(confusion: Confusion): HTMLCanvasElement {
  const canvas = h('canvas', { class: 'confusion', 'data-testid': 'confusion' });
  const ctx = canvas.getContext('2d');
  const layout = layoutOf(confusion.classes, ctx);
  const { width, height, scale } = sizeCanvas(canvas, layout);
  if (!ctx) return canvas;
  ctx.scale(scale, scale);
  ctx.fillStyle = EMPTY;
  ctx.fillRect(0, 0, width, height);
  drawCells(ctx, confusion.counts, layout);
  drawGrid(ctx, layout);
  if (layout.showLabels) drawLabels(ctx, layout);
  return canvas;
}
