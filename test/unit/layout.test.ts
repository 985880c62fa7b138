// The code's shape, checked: modules import one way, with no cycle (type-only imports included,
// as `npx madge --circular --extensions ts src workers` counts them). madge itself cannot run here:
// it parses through TypeScript's JavaScript API, which TypeScript 7 no longer ships.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative module a file imports or re-exports, statically or dynamically. */
export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '');
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"?]+)['"]/g)].map((m) => m[1]!);
  return specs.filter((s) => s.endsWith('.ts')).map((s) => resolve(dirname(file), s));
}

/** The cycles of a graph, each once, as lists of files (Tarjan's strongly connected components). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    indexOf.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      for (let w = ''; w !== v; ) {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      }
      if (component.length > 1 || graph.get(v)!.includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v);
  return found;
}

it('finds a cycle when there is one (the check itself)', () => {
  const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
  expect(cycles(graph)).toEqual([['a', 'b', 'c']]);
  expect(cycles(new Map([['a', ['b']], ['b', []]]))).toEqual([]);
});

it('has no import cycle in src/ and workers/', () => {
  const files = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'workers'))];
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  expect(files.length).toBeGreaterThan(80);
  expect([...graph.values()].reduce((n, deps) => n + deps.length, 0)).toBeGreaterThan(200);
  expect(cycles(graph).map((c) => c.map((f) => relative(ROOT, f)))).toEqual([]);
});
