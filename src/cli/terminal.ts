// Where the CLI's output goes: a person at a terminal (a progress bar, keys to pause), a log (a
// line now and then), or a program reading --json (JSON lines on stdout).

import type { Console } from './classify.ts';
import { jsonLines, logLines, terminalBar } from './progress.ts';
import { jsonLine, printable } from './printable.ts';
import { evaluationLines, failureLines } from './report.ts';

/** Where output goes: a person at a terminal, a log, or a program reading --json. */
export function terminal(json: boolean): Console {
  const tty = process.stderr.isTTY === true && !json;
  const log = (line: string) => console.log(printable(line));
  const warn = (line: string) => console.error(printable(line));
  const progress = json ? jsonLines((l) => console.log(l)) : tty ? terminalBar(process.stderr) : logLines(warn);
  // No one reads stdout any more (`tench classify ... --json | head -1`). The run goes on: what it
  // makes goes to --out, not here, and hours of classifying should not end because a reader of its
  // progress did. The rest of stdout is dropped (bin/tench.js); the exit says how the run went.
  process.stdout.once('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') warn('tench: stdout was closed: what tench prints there is dropped, and the rows still go to --out');
  });
  return {
    out: log,
    err: warn,
    progress,
    onKey: process.stdin.isTTY && tty
      ? (handler) => {
        process.stdin.setRawMode(true);
        process.stdin.resume();
        process.stdin.setEncoding('utf8');
        process.stdin.on('data', handler);
        return () => {
          process.stdin.off('data', handler);
          process.stdin.setRawMode(false);
          process.stdin.pause();
        };
      }
      : undefined,
    report(e, f) {
      if (json) {
        if (e.labelled || e.outside.images) {
          console.log(jsonLine({
            type: 'evaluation', labelled: e.labelled, accuracy: e.accuracy, top5_accuracy: e.top5Accuracy, failed_labelled: e.failedLabelled,
            per_class: e.perClass.map((c) => ({ label: c.label, support: c.support, predicted: c.predicted, precision: c.precision, recall: c.recall })),
            outside_labels: e.outside.labels, outside_images: e.outside.images,
          }));
        }
        if (f.total) console.log(jsonLine({ type: 'failures', total: f.total, by_cause: f.byCause }));
        return;
      }
      for (const line of [...evaluationLines(e), ...failureLines(f)]) warn(line);
    },
    summary(s) {
      if (json) {
        console.log(jsonLine({ type: 'summary', state: s.state, images: s.images, errors: s.errors, seconds: Number(s.seconds.toFixed(3)), rate: Number(s.rate.toFixed(3)), computed: s.computed, resumed: s.resumed, cached: s.cached, repeated: s.repeated, first_row_s: s.firstRowSeconds === null ? null : Number(s.firstRowSeconds.toFixed(3)), out: s.out }));
        return;
      }
      const how = s.state === 'cancelled' ? ' (cancelled)' : '';
      // The rate is of the images this process computed: rows found stored or reused are apart.
      const apart = s.resumed || s.cached ? `; ${s.resumed} resumed, ${s.cached} reused` : '';
      // Last, so that a reader of the line as it was before sees it unchanged up to here.
      const repeats = s.repeated ? `; ${s.repeated} repeats skipped` : '';
      log(`classified ${s.images} images (${s.errors} errors) in ${s.seconds.toFixed(1)} s, ${s.rate.toFixed(2)} images/s${how}${apart}${repeats}`);
    },
  };
}
