// Shard names written as webdataset writes them, `shards-{000000..000099}.tar` or `{train,val}.tar`,
// expanded into the names themselves, as braceexpand (which webdataset uses) expands them.

type Expanded = { ok: true; value: string[] } | { ok: false; reason: string };

/** A pattern cut into its literal text and its groups, each group the texts it stands for. */
type Part = string | { texts: string[] };

/** A numeric range's names, padded with zeros to the first bound's width where it is written so. */
function range(body: string, lo: string, hi: string, limit: number): { texts: string[] } | string {
  const from = Number(lo);
  const to = Number(hi);
  if (from > to) return `the range {${body}} counts down: write it from the lower number up`;
  if (to - from + 1 > limit) return `the range {${body}} names ${to - from + 1} files, more than the limit of ${limit}`;
  const width = lo.length > 1 && lo.startsWith('0') ? lo.length : 0;
  const texts: string[] = [];
  for (let n = from; n <= to; n++) texts.push(String(n).padStart(width, '0'));
  return { texts };
}

/** One group's texts: a range `a..b` of whole numbers, else alternatives split at commas. */
function group(body: string, limit: number): { texts: string[] } | string {
  const numbers = /^(\d+)\.\.(\d+)$/.exec(body);
  if (numbers) return range(body, numbers[1]!, numbers[2]!, limit);
  if (body.includes('..') && !body.includes(',')) return `the range {${body}} is not two whole numbers such as {000000..000099}`;
  return { texts: body.split(',') };
}

function parts(pattern: string, limit: number): Part[] | string {
  const out: Part[] = [];
  let at = 0;
  while (at < pattern.length) {
    const open = pattern.indexOf('{', at);
    const close = pattern.indexOf('}', at);
    if (close >= 0 && (open < 0 || close < open)) return `the pattern has a } at character ${close + 1} with no { before it`;
    if (open < 0) break;
    if (close < 0) return `the pattern has a { at character ${open + 1} with no } to close it`;
    const inner = pattern.indexOf('{', open + 1);
    if (inner >= 0 && inner < close) return 'the pattern has braces inside braces, which are not expanded: write each group on its own';
    if (open > at) out.push(pattern.slice(at, open));
    const expanded = group(pattern.slice(open + 1, close), limit);
    if (typeof expanded === 'string') return expanded;
    out.push(expanded);
    at = close + 1;
  }
  if (at < pattern.length) out.push(pattern.slice(at));
  return out;
}

/** Every name the pattern stands for, in order (the last group varies fastest); itself if it has no braces. */
export function expandBraces(pattern: string, limit = 100_000): Expanded {
  const cut = parts(pattern, limit);
  if (typeof cut === 'string') return { ok: false, reason: cut };
  let count = 1;
  for (const part of cut) if (typeof part !== 'string') count *= part.texts.length;
  if (count > limit) return { ok: false, reason: `the pattern names ${count} files, more than the limit of ${limit}` };
  let names = [''];
  for (const part of cut) {
    const texts = typeof part === 'string' ? [part] : part.texts;
    names = names.flatMap((name) => texts.map((text) => name + text));
  }
  return { ok: true, value: names };
}
