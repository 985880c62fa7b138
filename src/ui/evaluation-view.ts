// A run against its true labels: accuracy, top-5, a per-class table and the confusion matrix
// (confusion-canvas.ts).

import { outsideSentence, type Evaluation } from '../store/evaluate.ts';
import { confusionCanvas } from './confusion-canvas.ts';
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

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
