// A user's mapping from their class names to the model's labels ({"cats": "tabby, tabby cat"}),
// as the CLI reads it from --label-map's file and the page from its Label map field.

export type LabelMap = Record<string, string>;

/** The map in `text`, or why it is not one; `source` names where it came from, for the reason. */
export function parseLabelMap(text: string, source: string): { ok: true; value: LabelMap } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: `${source}: not JSON` };
  }
  const entries = value && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : null;
  if (!entries || entries.some(([, v]) => typeof v !== 'string')) {
    return { ok: false, reason: `${source}: give a JSON object of class name to model label, such as {"cats": "tabby, tabby cat"}` };
  }
  return { ok: true, value: Object.fromEntries(entries) as LabelMap };
}
