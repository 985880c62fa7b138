// The carry's bookkeeping, apart from the building so it can be tested: what each file is, the
// manifest run.py unpacks from, and the size check against what the device tool takes along.

/** What travels with a run to the GPU machine, in all (the device tool's limit). */
export const CARRY_LIMIT_BYTES = 64 * 1024 * 1024;

export interface CarryFile {
  /** Where run.py puts the file, relative to its work folder. */
  name: string;
  /** The file in the carry, relative to it: `name` itself, or `name.xz` when compressed. */
  packed: string;
  /** Bytes in the carry. */
  packedBytes: number;
  /** Bytes once unpacked, and their SHA-256, which run.py checks. */
  bytes: number;
  sha256: string;
  executable: boolean;
}

export interface Manifest {
  /** Bumped when the layout changes, so an old run.py refuses a new carry instead of guessing. */
  version: 1;
  files: CarryFile[];
}

export function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** One line per file, largest first, then the total. */
export function sizeReport(files: readonly CarryFile[], others: number): string[] {
  const rows = [...files].sort((a, b) => b.packedBytes - a.packedBytes);
  const lines = rows.map((f) =>
    f.packed === f.name ? `  ${f.packed}: ${mib(f.packedBytes)}` : `  ${f.packed}: ${mib(f.packedBytes)} (${mib(f.bytes)} unpacked)`,
  );
  const total = rows.reduce((n, f) => n + f.packedBytes, 0) + others;
  lines.push(`  run.py, the fixtures' model code and the manifest: ${mib(others)}`);
  lines.push(`  total: ${mib(total)} of the ${mib(CARRY_LIMIT_BYTES)} a run can carry`);
  return lines;
}

/** Null when the carry fits; else the one sentence that says by how much it does not. */
export function carryProblem(totalBytes: number, limit = CARRY_LIMIT_BYTES): string | null {
  if (totalBytes <= limit) return null;
  return `the carry is ${mib(totalBytes)}, over the ${mib(limit)} that can travel with a run, by ${mib(totalBytes - limit)}`;
}
