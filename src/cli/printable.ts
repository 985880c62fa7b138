// What the CLI writes to a terminal holds no control characters from the data it read.

/** C0 controls, DEL and C1 controls: a terminal obeys them (ESC starts a sequence, and so does U+009B). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * A line as a terminal shows it, never as it obeys it. Labels, paths and reasons come from the
 * dataset, and one holding ESC ] 0 ; ... BEL or ESC [ 31 m would set the window's title or
 * recolour the terminal: each control character is written as a visible \xHH escape instead, so
 * what the data holds can still be read. tench's own words hold none. Output files keep the data
 * as it is.
 */
export function printable(line: string): string {
  return line.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * A JSON line that a terminal shows as it is: JSON.stringify escapes C0 controls but leaves DEL
 * and the C1 ones raw; as \u escapes they read back as the same string.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
