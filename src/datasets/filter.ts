// Which listed files are images, as Ray's read_images decides: by extension.

/** Ray's default image extensions, plus WebP, which browsers decode. */
export const IMAGE_EXTENSIONS: readonly string[] = Object.freeze(['png', 'jpg', 'jpeg', 'tif', 'tiff', 'bmp', 'gif', 'webp']);

export function extensionOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

export function isImagePath(path: string, extensions: readonly string[] = IMAGE_EXTENSIONS): boolean {
  return extensions.includes(extensionOf(path));
}

/** "jpg, .PNG" -> ['jpg', 'png'], as typed in the page or given to --extensions; [] for nothing typed. */
export function parseExtensions(text: string): { ok: true; value: string[] } | { ok: false; bad: string } {
  const list = text.split(',').map((e) => e.trim().replace(/^\./, '').toLowerCase()).filter(Boolean);
  const bad = list.find((e) => !/^[a-z0-9]+$/.test(e));
  return bad === undefined ? { ok: true, value: list } : { ok: false, bad };
}
