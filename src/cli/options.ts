// The CLI's options made from the settings table (settings.ts): each flag with its help, its
// default as --help shows it, and the table's parser, so that a bad value is one sentence and
// exit 2 before anything runs.

import { InvalidArgumentError, Option } from 'commander';
import type { Setting } from '../settings.ts';

type Env = Record<string, string | undefined>;

/** `$TENCH_MODEL, then google/vit-base-patch16-224`: the variables read first, then the default. */
export function defaultShown(s: Setting<unknown>): string {
  return [...(s.env ?? []).map((name) => `$${name}`), ...(s.shown ? [s.shown] : [])].join(', then ');
}

export function tableOption(s: Setting<unknown>): Option {
  const shown = defaultShown(s);
  if (s.switch) return new Option(s.flag, `${s.help} (default: ${shown})`);
  const option = new Option(`${s.flag} ${s.arg}`, shown ? `${s.help} (default: ${shown})` : s.help);
  if (s.choices) option.choices(s.choices);
  // A file's name is kept as typed: its text is read, and parsed, where the file is opened.
  if (s.file) return option;
  // After choices(), which would otherwise keep the text as it is.
  return option.argParser((text: string) => {
    const parsed = s.parse(text);
    if (!parsed.ok) throw new InvalidArgumentError(parsed.reason);
    return parsed.value;
  });
}

/** The values given on the command line for these options, by their keys in the table. */
export function givenValues<K extends string>(flags: Record<string, unknown>, options: ReadonlyMap<K, Option>): Partial<Record<K, unknown>> {
  const given: Partial<Record<K, unknown>> = {};
  for (const [key, option] of options) if (flags[option.attributeName()] !== undefined) given[key] = flags[option.attributeName()];
  return given;
}

/** The first of the setting's variables that is set, and its name, for a sentence about it. */
export function fromEnv(s: Setting<unknown>, env: Env): { name: string; value: string } | undefined {
  const name = s.env?.find((n) => env[n] !== undefined && env[n] !== '');
  return name === undefined ? undefined : { name, value: env[name]! };
}
