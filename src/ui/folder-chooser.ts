// A folder on this computer as the images of a run: chosen with a button or dropped on the form.

import { DROPPED_FILES, folderName } from '../datasets/folder.ts';
import { h } from './dom.ts';

export type Picked = { name: string; folder: FileSystemDirectoryHandle | File[] };

/**
 * One button for a folder: the File System Access picker where the browser has one (files are
 * read as the run needs them), the folder upload input where it has not. `onChosen` hears that
 * one was chosen.
 */
export function folderChooser(onChosen: () => void) {
  let picked: Picked | null = null;
  const pickedName = h('small', { 'data-testid': 'picked-folder' });
  const input = h('input', { name: 'folder', type: 'file', webkitdirectory: true, multiple: true, hidden: true, tabindex: -1 });
  const choose = (name: string, folder: FileSystemDirectoryHandle | File[]) => {
    picked = { name, folder };
    pickedName.textContent = `${name} (${Array.isArray(folder) ? `${folder.length} files` : 'folder'})`;
    onChosen();
  };
  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    if (!files.length) return;
    choose(folderName(files), files);
  });
  const button = h('button', { type: 'button', onclick: async () => {
    const picker = (window as unknown as { showDirectoryPicker?(): Promise<FileSystemDirectoryHandle> }).showDirectoryPicker;
    if (!picker) return input.click();
    try {
      const handle = await picker.call(window);
      choose(handle.name, handle);
    } catch {
      // The user closed the picker.
    }
  } }, 'Choose folder…');
  const root = h('div', { class: 'folder' }, button, ' ', pickedName, h('p', { class: 'hint' }, 'or drop a folder on this form'), input);
  return { root, choose, picked: () => picked };
}

/** A folder dropped on `target`: Chromium gives its handle; elsewhere the dropped files themselves. */
export function acceptFolderDrops(target: HTMLElement, choose: (name: string, folder: FileSystemDirectoryHandle | File[]) => void): void {
  target.addEventListener('dragover', (e) => e.preventDefault());
  target.addEventListener('drop', async (e) => {
    e.preventDefault();
    const items = [...(e.dataTransfer?.items ?? [])];
    const handles = await Promise.all(items.map((i) => (i as DataTransferItem & { getAsFileSystemHandle?(): Promise<FileSystemHandle | null> }).getAsFileSystemHandle?.() ?? null));
    const dir = handles.find((x): x is FileSystemDirectoryHandle => x?.kind === 'directory');
    if (dir) return choose(dir.name, dir);
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length) choose(DROPPED_FILES, files);
  });
}
