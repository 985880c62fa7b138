// Splitting one dataset among machines that never talk to each other: each keeps the images whose
// path hashes to its own index, so together they cover the listing exactly once.

import type { Item } from '../core/item.ts';

/** Shard `index` of `count`, 0-based: the i of `--shard i/n`. */
export interface Shard {
  index: number;
  count: number;
}

const UTF8 = new TextEncoder();

/**
 * FNV-1a (32-bit) over the path's UTF-8 bytes, then murmur3's 32-bit finalizer. FNV-1a because it
 * is a few lines that give the same number in a page, in Node and in any other language (no seed,
 * no platform word size) and is fast on short strings. The finalizer because FNV-1a's low bits
 * mix poorly (its lowest bit is the parity of the bytes' lowest bits), and a modulo by a power of
 * two, such as 16 shards, reads only those.
 */
export function pathHash(path: string): number {
  let h = fnv1a32(UTF8.encode(path));
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function fnv1a32(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const byte of bytes) h = Math.imul(h ^ byte, 0x01000193);
  return h >>> 0;
}

/** The index of the shard, among `count`, that an image with this path belongs to. */
export function shardOf(path: string, count: number): number {
  return pathHash(path) % count;
}

/** Two requests split their dataset the same way (no shard counts as its own kind). */
export function sameShard(a: Shard | null | undefined, b: Shard | null | undefined): boolean {
  return a && b ? a.index === b.index && a.count === b.count : !a && !b;
}

/**
 * The items of one shard. The others are dropped here, where the listing is read, so they are
 * never fetched, counted as listed, or stored; they are not "skipped" either, which the progress
 * keeps for files that are not images.
 */
export function inShard(items: AsyncIterable<Item>, shard: Shard | null | undefined): AsyncIterable<Item> {
  return shard ? kept(items, shard) : items;
}

async function* kept(items: AsyncIterable<Item>, shard: Shard): AsyncGenerator<Item> {
  for await (const item of items) if (shardOf(item.path, shard.count) === shard.index) yield item;
}
