// What a user points tench at, as a run stores it: plain data, the same in the page and the CLI.

/** Plain data, stored with the run. Never holds credentials or file handles. */
export type DatasetSpec =
  | { kind: 'manifest'; url: string }
  | { kind: 's3'; url: string; endpoint: string | null; region: string | null }
  | { kind: 'folder'; name: string };

export function describe(spec: DatasetSpec): string {
  return spec.kind === 'folder' ? `folder ${spec.name}` : spec.url;
}
