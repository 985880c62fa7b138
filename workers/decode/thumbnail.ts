// The gallery's picture of an image: its size. prepare.ts makes it from the pixels already
// decoded for the model, so the gallery never downloads an image a second time.

export function thumbnailSize(width: number, height: number, longest: number): { width: number; height: number } {
  const scale = Math.min(1, longest / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
