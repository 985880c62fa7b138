// How much of a list of images tench reads: declared here, apart from the reader, so that the
// settings table can name the defaults without loading the reader and its parser.

/**
 * A list of images longer than this stops the run: 10 million lines of up to 214 bytes (a URL of
 * about 100, a JSON line with a path and a label, tench's own listing of a folder's file).
 */
export const MAX_LIST_BYTES = 2 * 1024 ** 3;

/**
 * One line of a list (a CSV record) longer than this stops the run. A list names one image a
 * line, and no URL comes near it: most servers refuse URLs over 8 KiB, and a presigned S3 URL
 * with a session token is 2-3 KiB. Without it, a body that never ends a line would be held until
 * memory runs out.
 */
export const MAX_LIST_LINE_BYTES = 64 * 1024;
