// WebDataset shards: tar files written by Python's tarfile (GNU, pax and ustar headers) read back
// as a stream cut into chunks of any size, grouped into samples, and shard names expanded.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../src/core/item.ts';
import { expandBraces } from '../../src/datasets/braces.ts';
import { tarEntries, type TarEntry } from '../../src/datasets/tar.ts';
import { splitMemberName, webDatasetItems, type SampleOptions } from '../../src/datasets/webdataset.ts';

/** What Python's tarfile reads back of a file it wrote: its regular members. */
interface Member {
  name: string;
  offset: number;
  dataOffset: number;
  data: string;
}

// Writes the archives, then lists each as tarfile itself reads it: the expected side never comes
// from the reader under test.
const WRITE = String.raw`
import base64, io, json, random, sys, tarfile
out = sys.argv[1]
rng = random.Random(7)
LONG = 'a' * 60 + '/' + 'b' * 60 + '/' + 'c' * 30 + '.jpg'

# What tarfile does for a file over 8 GiB, done to a small one: the size in a pax record, 0 in the header.
class PaxSized(tarfile.TarInfo):
    def get_info(self):
        return {**super().get_info(), 'size': 0}

def add(tar, name, data=b'', kind=tarfile.REGTYPE, link='', size=None, pax_size=False):
    info = PaxSized(name) if pax_size else tarfile.TarInfo(name)
    info.type, info.linkname, info.mtime, info.size = kind, link, 1700000000, len(data) if size is None else size
    if pax_size: info.pax_headers = {'size': str(len(data))}
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)

# GNU's base-256 numbers, which tarfile writes for a size over 8 GiB, for every 12-byte field.
def base256(n, digits=8, format=tarfile.DEFAULT_FORMAT, itn=tarfile.itn):
    return bytes([0x80]) + n.to_bytes(digits - 1, 'big') if digits == 12 else itn(n, digits, format)

def files(tar, pax_size=False):
    # First, so that its offset tells whether a pax global header was taken for its own.
    add(tar, 'data/empty.txt')
    # A size on a directory counts no data: some writers put one there.
    add(tar, 'data', kind=tarfile.DIRTYPE, size=1000)
    add(tar, 'data/one.bin', b'x')
    for n in (511, 512, 513, 10000):
        add(tar, 'data/%d.bin' % n, rng.randbytes(n), pax_size=pax_size)
    add(tar, 'data/link.bin', kind=tarfile.SYMTYPE, link='one.bin')
    add(tar, 'data/hard.bin', kind=tarfile.LNKTYPE, link='data/one.bin')
    add(tar, LONG, rng.randbytes(700))
    add(tar, 'données/é.txt', 'çà'.encode())
    add(tar, 'last.bin', rng.randbytes(1025))

with tarfile.open(out + '/gnu.tar', 'w', format=tarfile.GNU_FORMAT) as tar: files(tar)
with tarfile.open(out + '/pax.tar', 'w', format=tarfile.PAX_FORMAT, pax_headers={'comment': 'global'}) as tar: files(tar, True)
with tarfile.open(out + '/ustar.tar', 'w', format=tarfile.USTAR_FORMAT) as tar: files(tar)
tarfile.itn = base256
with tarfile.open(out + '/gnu256.tar', 'w', format=tarfile.GNU_FORMAT) as tar: files(tar)
tarfile.itn = base256.__defaults__[-1]

with tarfile.open(out + '/wds.tar', 'w', format=tarfile.GNU_FORMAT) as tar:
    add(tar, 'README', b'not a sample')
    add(tar, '000000.jpg', rng.randbytes(300))
    add(tar, '000000.cls', b'3\n')
    add(tar, '000000.txt', 'a tench, Tinca tinca'.encode())
    add(tar, '000000.json', json.dumps({'caption': 'fish', 'width': 64, 'label': 'x'}).encode())
    add(tar, 'part', kind=tarfile.DIRTYPE)
    add(tar, 'part/000001.png', rng.randbytes(600))
    add(tar, 'part/000001.cls', b' tench \n')
    add(tar, 'part/000001.json', b'[1, 2]')
    add(tar, '000002.txt', b'no image here')
    add(tar, '000002.json', b'{}')
    add(tar, '000003.JPG', rng.randbytes(50))
    add(tar, '000003.json', b'{oops')
    add(tar, '000003.seg.png', rng.randbytes(20))
    add(tar, '000003.cls', b'-1')
    add(tar, 'x.seg.png', rng.randbytes(20))
    add(tar, '000004.jpg', rng.randbytes(40))
    add(tar, '000004.png', rng.randbytes(30))

listing = {}
for name in ('gnu.tar', 'pax.tar', 'ustar.tar', 'gnu256.tar', 'wds.tar'):
    with tarfile.open(out + '/' + name) as tar:
        listing[name] = [{'name': m.name, 'offset': m.offset, 'dataOffset': m.offset_data,
                          'data': base64.b64encode(tar.extractfile(m).read()).decode()}
                         for m in tar.getmembers() if m.isreg()]
print(json.dumps(listing))
`;

let dir = '';
let expected: Record<string, Member[]> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tench-tar-'));
  const run = spawnSync('/usr/bin/python3', ['-c', WRITE, dir], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python3 could not write the tar fixtures: ${run.stderr}`);
  expected = JSON.parse(run.stdout) as Record<string, Member[]>;
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function archive(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(dir, name)));
}

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function entries(bytes: Uint8Array, size = 4096): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  for await (const entry of tarEntries(chunked(bytes, size))) out.push(entry);
  return out;
}

function asMembers(list: readonly TarEntry[]): Omit<Member, 'dataOffset'>[] {
  return list.map((e) => ({ name: e.name, offset: e.offset, data: Buffer.from(e.bytes).toString('base64') }));
}

function member(file: string, name: string): Member {
  const found = expected[file]!.find((m) => m.name === name);
  if (!found) throw new Error(`the fixture ${file} has no member ${name}`);
  return found;
}

const padded = (n: number) => Math.ceil(n / 512) * 512;

describe('tarEntries', () => {
  for (const file of ['gnu.tar', 'pax.tar', 'ustar.tar', 'gnu256.tar']) {
    for (const size of [1, 7, 1 << 24]) {
      it(`reads ${file} as tarfile does (${size}-byte chunks)`, async () => {
        const want = expected[file]!.map(({ name, offset, data }) => ({ name, offset, data }));
        // The fixture holds what the reader must handle: a long name, a non-ASCII one, links, a directory.
        expect(want.map((m) => m.name)).toContain('a'.repeat(60) + '/' + 'b'.repeat(60) + '/' + 'c'.repeat(30) + '.jpg');
        expect(want.map((m) => m.name)).toContain('données/é.txt');
        expect(want).toHaveLength(9);
        expect(asMembers(await entries(archive(file), size))).toEqual(want);
      });
    }
  }

  it('ends with the stream where the end-of-archive blocks are missing', async () => {
    const last = member('gnu.tar', 'last.bin');
    const bytes = archive('gnu.tar').slice(0, last.dataOffset + padded(1025));
    expect(asMembers(await entries(bytes, 1000))).toEqual(expected['gnu.tar']!.map(({ name, offset, data }) => ({ name, offset, data })));
  });

  it('says a file cut inside a member or a header was cut short', async () => {
    const big = member('pax.tar', 'data/10000.bin');
    await expect(entries(archive('pax.tar').slice(0, big.dataOffset + 100), 7)).rejects.toThrow('the tar file ends inside data/10000.bin: it was cut short');
    const one = member('gnu.tar', 'data/one.bin');
    await expect(entries(archive('gnu.tar').slice(0, one.offset + 100))).rejects.toThrow(`the tar file ends inside the header at byte ${one.offset}: it was cut short`);
    // Cut inside the padding after the data: the member itself is whole, the file is not.
    const last = member('gnu.tar', 'last.bin');
    await expect(entries(archive('gnu.tar').slice(0, last.dataOffset + 1025 + 3))).rejects.toThrow('the tar file ends inside last.bin: it was cut short');
  });

  it('says where a header is damaged', async () => {
    const one = member('ustar.tar', 'data/one.bin');
    const bytes = archive('ustar.tar');
    bytes[one.offset + 5] = bytes[one.offset + 5]! ^ 0x20;
    await expect(entries(bytes)).rejects.toThrow(`the tar file is damaged at byte ${one.offset}: a header's checksum does not match`);
  });

  it('lets the stream go when the reader stops early', async () => {
    let released = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        yield* chunked(archive('gnu.tar'), 512);
      } finally {
        released = true;
      }
    }
    for await (const entry of tarEntries(source())) if (entry.name === 'data/one.bin') break;
    expect(released).toBe(true);
  });
});

const OPTIONS: SampleOptions = { extensions: ['jpg', 'jpeg', 'png', 'webp'], keepColumns: 'all' };

async function items(options: SampleOptions, size: number, version?: string): Promise<{ items: Item[]; listed: number; skipped: number }> {
  const stats = { listed: 0, skipped: 0 };
  const out: Item[] = [];
  for await (const item of webDatasetItems(chunked(archive('wds.tar'), size), { path: 'shards/wds.tar', version }, options, stats)) out.push(item);
  return { items: out, ...stats };
}

async function blobBase64(item: Item): Promise<string> {
  if (item.source.kind !== 'blob') throw new Error(`the item ${item.path} is not a blob`);
  return Buffer.from(await item.source.blob.arrayBuffer()).toString('base64');
}

describe('webDatasetItems', () => {
  it('splits member names at the first dot of the base name, as webdataset does', () => {
    expect(splitMemberName('a/b/x.seg.png')).toEqual({ key: 'a/b/x', extension: 'seg.png' });
    expect(splitMemberName('a.b/000001.JPG')).toEqual({ key: 'a.b/000001', extension: 'jpg' });
    expect(splitMemberName('README')).toBeNull();
    expect(splitMemberName('.hidden')).toBeNull();
  });

  for (const size of [1, 7, 1 << 24]) {
    it(`makes one item per sample with an image (${size}-byte chunks)`, async () => {
      const got = await items(OPTIONS, size, 'etag-1');
      expect(got.skipped).toBe(2);
      expect(got.listed).toBe(4);
      const image = (name: string) => member('wds.tar', name);
      const at = (name: string) => `etag-1:${image(name).offset}:${Buffer.from(image(name).data, 'base64').length}`;
      expect(got.items.map(({ source: _, ...rest }) => rest)).toEqual([
        { path: 'shards/wds.tar/000000', size: 300, version: at('000000.jpg'), classIndex: 3, columns: { txt: 'a tench, Tinca tinca', caption: 'fish', width: 64, input_label: 'x' } },
        { path: 'shards/wds.tar/part/000001', size: 600, version: at('part/000001.png'), label: 'tench', columns: { json: [1, 2] } },
        { path: 'shards/wds.tar/000003', size: 50, version: at('000003.JPG'), classIndex: -1, columns: { json: '{oops' } },
        { path: 'shards/wds.tar/000004', size: 40, version: at('000004.jpg') },
      ]);
      const bytes = await Promise.all(got.items.map(blobBase64));
      expect(bytes).toEqual(['000000.jpg', 'part/000001.png', '000003.JPG', '000004.jpg'].map((name) => image(name).data));
    });
  }

  it('keeps only the columns asked for, and no version without the shard\'s', async () => {
    const some = await items({ ...OPTIONS, keepColumns: ['caption', 'json'] }, 4096);
    expect(some.items.map((item) => item.columns)).toEqual([{ caption: 'fish' }, { json: [1, 2] }, { json: '{oops' }, undefined]);
    expect(some.items.every((item) => item.version === undefined)).toBe(true);
    const none = await items({ ...OPTIONS, keepColumns: [] }, 4096);
    expect(none.items.some((item) => 'columns' in item)).toBe(false);
  });

  it('gives the samples before a break, the one read so far included, then the break', async () => {
    // Cut inside 000003.JPG's data: 000000 and part/000001 are whole, and so is the sample before the cut.
    const cutAt = member('wds.tar', '000003.JPG').dataOffset + 10;
    const stats = { listed: 0, skipped: 0 };
    const got: string[] = [];
    const read = async () => {
      for await (const item of webDatasetItems(chunked(archive('wds.tar').slice(0, cutAt), 512), { path: 's.tar' }, OPTIONS, stats)) got.push(item.path);
    };
    await expect(read()).rejects.toThrow('the tar file ends inside 000003.JPG: it was cut short');
    expect(got).toEqual(['s.tar/000000', 's.tar/part/000001']);
    // Cut inside part/000001's class member, after its image: the sample's image is given.
    const inClass = member('wds.tar', 'part/000001.cls').dataOffset;
    got.length = 0;
    const again = async () => {
      for await (const item of webDatasetItems(chunked(archive('wds.tar').slice(0, inClass), 512), { path: 's.tar' }, OPTIONS, { listed: 0, skipped: 0 })) got.push(item.path);
    };
    await expect(again()).rejects.toThrow(/cut short/);
    expect(got).toEqual(['s.tar/000000', 's.tar/part/000001']);
  });

  it('takes the whole extension after the first dot as the image\'s', async () => {
    const got = await items({ ...OPTIONS, extensions: ['seg.png'] }, 4096);
    expect(got.items.map((item) => item.path)).toEqual(['shards/wds.tar/000003', 'shards/wds.tar/x']);
    expect(got.skipped).toBe(4);
  });
});

describe('expandBraces', () => {
  const names = (pattern: string, limit?: number) => expandBraces(pattern, limit);

  it('expands ranges with their zero padding, alternatives, and several groups', () => {
    expect(names('shards-{000000..000003}.tar')).toEqual({ ok: true, value: ['shards-000000.tar', 'shards-000001.tar', 'shards-000002.tar', 'shards-000003.tar'] });
    expect(names('s-{8..11}.tar')).toEqual({ ok: true, value: ['s-8.tar', 's-9.tar', 's-10.tar', 's-11.tar'] });
    expect(names('s-{08..10}.tar')).toEqual({ ok: true, value: ['s-08.tar', 's-09.tar', 's-10.tar'] });
    expect(names('{train,val}/{0..1}.tar')).toEqual({ ok: true, value: ['train/0.tar', 'train/1.tar', 'val/0.tar', 'val/1.tar'] });
    expect(names('s3://bucket/plain.tar')).toEqual({ ok: true, value: ['s3://bucket/plain.tar'] });
    const many = names('x-{000000..099999}.tar');
    expect(many.ok && many.value.length).toBe(100_000);
    expect(many.ok && many.value[99_999]).toBe('x-099999.tar');
  });

  it('refuses what it cannot expand, in a sentence', () => {
    expect(names('a-{1..3.tar')).toEqual({ ok: false, reason: 'the pattern has a { at character 3 with no } to close it' });
    expect(names('a-1..3}.tar')).toEqual({ ok: false, reason: 'the pattern has a } at character 7 with no { before it' });
    expect(names('{a,{b,c}}')).toEqual({ ok: false, reason: 'the pattern has braces inside braces, which are not expanded: write each group on its own' });
    expect(names('{9..1}')).toEqual({ ok: false, reason: 'the range {9..1} counts down: write it from the lower number up' });
    expect(names('{a..c}')).toEqual({ ok: false, reason: 'the range {a..c} is not two whole numbers such as {000000..000099}' });
    expect(names('{0..999}-{0..999}', 1000)).toEqual({ ok: false, reason: 'the pattern names 1000000 files, more than the limit of 1000' });
    expect(names('{0..99999999999}')).toEqual({ ok: false, reason: 'the range {0..99999999999} names 100000000000 files, more than the limit of 100000' });
  });
});
