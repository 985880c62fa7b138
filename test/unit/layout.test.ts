// The code's shape, checked: modules import one way, with no cycle (type-only imports included,
// as `npx madge --circular --extensions ts src workers` counts them; madge parses through
// TypeScript's JavaScript API, which the TypeScript 7 installed here no longer ships, so it runs
// only from a folder of its own with TypeScript 5), and no
// function is longer than a reader takes in: 80 lines in the engine, 100 anywhere else.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseAst } from 'rolldown/parseAst';
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

interface Node {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

/** Every function of a file, with its lines: declarations, expressions, arrows and methods. */
export function functionLengths(file: string): Array<{ lines: number; at: string }> {
  const text = readFileSync(file, 'utf8');
  const lineAt = (pos: number) => text.slice(0, pos).split('\n').length;
  const found: Array<{ lines: number; at: string }> = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Node;
    if (/Function(Declaration|Expression)$|^ArrowFunctionExpression$/.test(n.type ?? '')) found.push({ lines: lineAt(n.end) - lineAt(n.start) + 1, at: `${relative(ROOT, file)}:${lineAt(n.start)}` });
    for (const key of Object.keys(n)) if (key !== 'type') walk(n[key]);
  };
  walk(parseAst(text, { lang: 'ts' }, file));
  return found;
}

it('keeps every function short: at most 80 lines in src/pipeline, 100 in the rest of src/ and workers/', () => {
  const files = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'workers'))];
  const all = files.flatMap(functionLengths);
  expect(all.length).toBeGreaterThan(500);
  const over = all.filter((f) => f.lines > (f.at.startsWith('src/pipeline/') ? 80 : 100));
  expect(over).toEqual([]);
  // The check sees a long function when there is one.
  expect(Math.max(...all.map((f) => f.lines))).toBeGreaterThan(60);
});
