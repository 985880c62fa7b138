// What the form keeps across reloads: where the images are, the label map, the model and the run
// settings, as typed, in localStorage. Never a key: password fields, the key fields named below
// and file inputs are neither saved nor restored.

const STORAGE_KEY = 'tench-form';
/** Fields that hold secrets even where they are not password fields. */
const NEVER = new Set(['accessKeyId', 'secretAccessKey', 'sessionToken']);

type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

const keepable = (f: Field): boolean =>
  !NEVER.has(f.name) && !(f instanceof HTMLInputElement && (f.type === 'password' || f.type === 'file'));

/** A checkbox's value is the same ticked or not: what it holds is whether it is ticked. */
const isCheckbox = (f: Field): f is HTMLInputElement => f instanceof HTMLInputElement && f.type === 'checkbox';

const valueOf = (f: Field): string => (isCheckbox(f) ? String(f.checked) : f.value);

function restore(f: Field, value: string): void {
  if (isCheckbox(f)) f.checked = value === 'true';
  else f.value = value;
}

function read(): Record<string, string> {
  try {
    const saved: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}');
    return saved && typeof saved === 'object' && !Array.isArray(saved) ? (saved as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/**
 * Puts back what was typed last time in `given` (fields not on screen now included) and, from now
 * on, saves each field the user changes. Only those: a field left alone keeps following its
 * default (the model's, say, which depends on whether the Hub answers). Returns the names of the
 * fields it restored.
 */
export function rememberForm(form: HTMLFormElement, given: Field[]): Set<string> {
  const fields = given.filter(keepable);
  const saved = read();
  const restored = new Set<string>();
  for (const f of fields) {
    const value = saved[f.name];
    if (typeof value !== 'string') continue;
    if (f instanceof HTMLSelectElement && ![...f.options].some((o) => o.value === value)) continue;
    restore(f, value);
    restored.add(f.name);
  }
  const touched = new Set(restored);
  const save = (event: Event) => {
    const changed = fields.find((f) => f === event.target);
    if (!changed) return;
    touched.add(changed.name);
    const values: Record<string, string> = {};
    for (const f of fields) if (touched.has(f.name)) values[f.name] = valueOf(f);
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(values));
    } catch {
      // Storage full or refused: the form works, it only forgets.
    }
  };
  form.addEventListener('input', save);
  form.addEventListener('change', save);
  return restored;
}
