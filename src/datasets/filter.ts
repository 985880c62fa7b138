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
