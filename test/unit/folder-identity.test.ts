// Whether a folder picked to resume a run is the folder the run read: its name, and the images the
// run already answered still in it. Files of the webkitdirectory input are plain Files with a
// relative path, as Chromium gives them.

import { describe, expect, it } from 'vitest';
import { folderName, folderPaths, listFiles, otherFolder } from '../../src/datasets/folder.ts';

/** A file as <input webkitdirectory> gives it: its path starts with the picked folder's name. */
function picked(path: string, bytes = 'x'): File {
  const file = new File([bytes], path.split('/').at(-1)!);
  Object.defineProperty(file, 'webkitRelativePath', { value: path });
  return file;
}

describe('a picked folder', () => {
  const files = [picked('photos/b.jpg'), picked('photos/n01440764/a.png'), picked('photos/notes.txt')];

  it('is named by its own name, and lists its files without it, as a run lists them', async () => {
    expect(folderName(files)).toBe('photos');
    expect(folderName([])).toBe('folder');
    expect([...(await folderPaths(files))].sort()).toEqual(['b.jpg', 'n01440764/a.png', 'notes.txt']);
    const listed: string[] = [];
    for await (const item of listFiles(files, ['.jpg', '.png'], { listed: 0, skipped: 0 })) listed.push(item.path);
    // Every path a run stores is one folderPaths finds again.
    const all = await folderPaths(files);
    expect(listed.every((p) => all.has(p))).toBe(true);
  });
});

async function* listed(paths: readonly string[]): AsyncGenerator<string> {
  yield* paths;
}

describe('otherFolder', () => {
  const stored = ['000-a.jpg', '000-b.png', 'n01440764/c.jpg'];
  const folder = (name: string, paths: readonly string[]) => paths.map((p) => picked(`${name}/${p}`));
  const same = folder('big', [...stored, '001-a.jpg', 'README.txt']);

  it('takes the same folder, also when it has gained files', async () => {
    await expect(otherFolder('r1', 'big', same, listed(stored))).resolves.toBeNull();
    await expect(otherFolder('r1', 'big', folder('big', stored), listed(stored))).resolves.toBeNull();
  });

  it('takes any folder of the name for a run that stored nothing: nothing of it can be mixed up', async () => {
    await expect(otherFolder('r1', 'big', folder('big', ['x.jpg']), listed([]))).resolves.toBeNull();
  });

  it('refuses a folder of another name, naming both', async () => {
    await expect(otherFolder('r1', 'big', folder('samples', stored), listed(stored))).resolves.toBe('run r1 read the folder big, not samples: pick big to go on');
  });

  it('refuses a folder of the same name without the images the run answered, saying how many are missing', async () => {
    await expect(otherFolder('r1', 'big', folder('big', ['000-a.jpg', 'x.jpg']), listed(stored)))
      .resolves.toBe('the folder big picked is not the one run r1 read: 2 of the 3 images it answered are not in it (000-b.png, …); pick that folder to go on');
    await expect(otherFolder('r1', 'big', folder('big', stored.slice(0, 2)), listed(stored)))
      .resolves.toBe('the folder big picked is not the one run r1 read: 1 of the 3 images it answered are not in it (n01440764/c.jpg); pick that folder to go on');
  });

  it('matches loose dropped files by what they hold, having no folder name', async () => {
    await expect(otherFolder('r1', 'dropped files', folder('photos', stored), listed(stored))).resolves.toBeNull();
    await expect(otherFolder('r1', 'dropped files', folder('photos', ['x.jpg']), listed(stored))).resolves.toMatch(/^the folder dropped files picked is not/);
  });
});
