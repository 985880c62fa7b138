// The form's labelled controls, and the run settings' fields with how they are read: their
// fields, defaults and parsing come from settings.ts, as the CLI's flags do.

import { SETTING_KEYS, settingOf, type Setting, type SettingKey, type SettingValues } from '../settings.ts';
import { h } from './dom.ts';

let fields = 0;

/**
 * A labelled control. Its accessible name is the label alone and the hint its description, so
 * that "Model" finds the model field (the hint sits inside the label element, where it would
 * otherwise be part of the name).
 */
export function field(label: string, control: HTMLElement, hint?: string): HTMLLabelElement {
  const id = `field-${++fields}`;
  control.setAttribute('aria-labelledby', `${id}-name`);
  if (hint) control.setAttribute('aria-describedby', `${id}-hint`);
  return h('label', {}, h('span', { id: `${id}-name` }, label), control, hint ? h('small', { id: `${id}-hint` }, hint) : null);
}

export type Control = HTMLInputElement | HTMLSelectElement;

export type SettingFields = Map<SettingKey, { control: Control; field: HTMLLabelElement; group: string }>;

/** The form's fields for the run settings that have one (settings.ts): an empty one is the default. */
export function settingFields(): SettingFields {
  const out: SettingFields = new Map();
  for (const key of SETTING_KEYS) {
    const s = settingOf(key) as Setting<unknown>;
    const spec = s.field;
    if (!spec) continue;
    const name = s.flag.slice(2);
    // A choice is a select, a list a text field, a count a number field: empty means the default.
    const control: Control = s.switch
      ? h('input', { name, type: 'checkbox' })
      : s.choices
      ? h('select', { name }, ...s.choices.map((c) => h('option', { value: c, selected: c === s.shown }, spec.choiceLabels?.[c] ?? c)))
      : Array.isArray(s.default)
        ? h('input', { name, placeholder: s.shown, size: 28 })
        : h('input', { name, type: 'number', min: 1, size: 6, ...(s.default === null ? { placeholder: s.shown } : { value: s.shown }) });
    out.set(key, { control, field: field(spec.label, control, spec.hint), group: spec.group });
  }
  return out;
}

/** The settings filled in, parsed as the CLI parses its flags; the first that does not parse, in a sentence. */
export function readSettings(settings: SettingFields): Partial<SettingValues> | { error: string } {
  const given: Partial<Record<SettingKey, unknown>> = {};
  for (const [key, { control }] of settings) {
    if (control instanceof HTMLInputElement && control.type === 'checkbox') {
      if (control.checked) given[key] = true;
      continue;
    }
    if (!control.value.trim()) continue;
    const parsed = settingOf(key).parse(control.value.trim());
    if (!parsed.ok) return { error: `${settingOf(key).field!.label}: ${parsed.reason.replace(/^--\S+ takes/, 'takes')}.` };
    given[key] = parsed.value;
  }
  return given as Partial<SettingValues>;
}
