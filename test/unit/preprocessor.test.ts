import { describe, expect, it } from 'vitest';
import { parsePreprocessor } from '../../src/model/preprocessor.ts';
import { centerCrop, normalizationTable, resizeTarget, toTensor } from '../../workers/decode/preprocess.ts';

describe('parsePreprocessor', () => {
  it('reads google/vit-base-patch16-224 (old field names, integer size)', () => {
    const p = parsePreprocessor({ do_normalize: true, do_resize: true, feature_extractor_type: 'ViTFeatureExtractor', image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], resample: 2, size: 224 });
    expect(p).toEqual({ ok: true, value: { resize: { kind: 'exact', width: 224, height: 224 }, resample: 'bilinear', crop: null, rescale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], inputWidth: 224, inputHeight: 224 } });
  });

  it('reads a DeiT folder: resize then center crop, bicubic', () => {
    const p = parsePreprocessor({ image_processor_type: 'DeiTImageProcessor', size: { height: 256, width: 256 }, crop_size: { height: 224, width: 224 }, do_center_crop: true, resample: 3, image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225] });
    expect(p.ok && p.value).toMatchObject({ resize: { kind: 'exact', width: 256, height: 256 }, crop: { width: 224, height: 224 }, resample: 'bicubic', inputWidth: 224 });
  });

  it('reads a ConvNeXt folder: shortest edge over crop_pct, then a square crop', () => {
    const p = parsePreprocessor({ image_processor_type: 'ConvNextImageProcessor', size: { shortest_edge: 224 }, crop_pct: 0.875, resample: 3 });
    expect(p.ok && p.value).toMatchObject({ resize: { kind: 'shortestEdge', shortestEdge: 256 }, crop: { width: 224, height: 224 }, mean: [0.485, 0.456, 0.406] });
  });

  it('reads a CLIP-style integer size as the shortest edge', () => {
    const p = parsePreprocessor({ image_processor_type: 'CLIPImageProcessor', size: 224, crop_size: 224, do_center_crop: true });
    expect(p.ok && p.value).toMatchObject({ resize: { kind: 'shortestEdge', shortestEdge: 224 }, crop: { width: 224, height: 224 }, resample: 'bicubic' });
  });

  it('explains what is wrong with a bad file', () => {
    expect(parsePreprocessor({ resample: 9 })).toEqual({ ok: false, reason: "preprocessor_config.json: resample 9 is not one of PIL's filters (0-5)" });
    expect(parsePreprocessor({ size: { shortest_edge: 224 }, image_processor_type: 'ViTImageProcessor' })).toMatchObject({ ok: false, reason: expect.stringContaining('not fixed') });
    expect(parsePreprocessor({ image_std: [0.5, 0, 0.5] })).toMatchObject({ ok: false, reason: expect.stringContaining('image_std contains 0') });
    expect(parsePreprocessor({ size: 'big' })).toMatchObject({ ok: false, reason: expect.stringContaining('size "big"') });
  });
});

describe('preprocessing arithmetic', () => {
  const vit = parsePreprocessor({ size: { height: 2, width: 2 }, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] });
  if (!vit.ok) throw new Error(vit.reason);

  it('maps 0 -> -1 and 255 -> 1 for mean = std = 0.5, rounding as float32', () => {
    const t = normalizationTable(vit.value);
    expect(t[0]).toBe(-1);
    expect(t[255]).toBe(1);
    // numpy: float32(float64(128) / 255) then float32 arithmetic
    const x = Math.fround(128 / 255);
    expect(t[128]).toBe(Math.fround(Math.fround(x - 0.5) / 0.5));
  });

  it('lays the tensor out channel by channel (CHW)', () => {
    const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
    const t = toTensor({ data: rgb, channels: 3, width: 2, height: 2 }, vit.value);
    expect(Array.from(t)).toEqual([1, -1, -1, 1, -1, 1, -1, 1, -1, -1, 1, 1]);
  });

  it('computes the shortest-edge size as transformers does (long side truncated)', () => {
    const spec = { ...vit.value, resize: { kind: 'shortestEdge' as const, shortestEdge: 256 } };
    expect(resizeTarget(451, 300, spec)).toEqual({ width: 384, height: 256 });
    expect(resizeTarget(300, 451, spec)).toEqual({ width: 256, height: 384 });
  });

  it('center-crops with floor offsets and pads a crop larger than the image', () => {
    // 3x1 image, pixels 1, 2, 3 (grey): a 2x1 crop starts at floor(1/2) = 0
    const rgb = new Uint8Array([1, 1, 1, 2, 2, 2, 3, 3, 3]);
    expect(Array.from(centerCrop(rgb, 3, 1, 2, 1))).toEqual([1, 1, 1, 2, 2, 2]);
    // 1x1 into 3x1: the pixel lands in the middle, zeros around it
    expect(Array.from(centerCrop(new Uint8Array([9, 9, 9]), 1, 1, 3, 1))).toEqual([0, 0, 0, 9, 9, 9, 0, 0, 0]);
  });
});
