// preprocessor_config.json -> the steps the decode workers apply, as Hugging Face's Python
// image processors read the same file. Nothing here is specific to one model.

export type Resample = 'nearest' | 'box' | 'bilinear' | 'hamming' | 'bicubic' | 'lanczos';

/** PIL's resampling codes, as stored in preprocessor_config.json. */
const PIL_RESAMPLE: Readonly<Record<number, Resample>> = Object.freeze({
  0: 'nearest',
  1: 'lanczos',
  2: 'bilinear',
  3: 'bicubic',
  4: 'box',
  5: 'hamming',
});

export type ResizeSpec =
  | { kind: 'exact'; width: number; height: number }
  /** Short side to `shortestEdge`, long side keeping the ratio (truncated), as transformers does. */
  | { kind: 'shortestEdge'; shortestEdge: number };

export interface PreprocessSpec {
  resize: ResizeSpec | null;
  resample: Resample;
  crop: { width: number; height: number } | null;
  rescale: number | null;
  mean: [number, number, number] | null;
  std: [number, number, number] | null;
  /** Width and height of the tensor the model receives. */
  inputWidth: number;
  inputHeight: number;
}

const IMAGENET_STANDARD: [number, number, number] = [0.5, 0.5, 0.5];
const IMAGENET_DEFAULT_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const IMAGENET_DEFAULT_STD: [number, number, number] = [0.229, 0.224, 0.225];
const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

interface ProcessorDefaults {
  /** How a bare integer `size` is read (get_size_dict's default_to_square). */
  intSizeIsSquare: boolean;
  resample: number;
  mean: [number, number, number];
  std: [number, number, number];
  centerCrop: boolean;
}

const VIT_DEFAULTS: ProcessorDefaults = {
  intSizeIsSquare: true,
  resample: 2,
  mean: IMAGENET_STANDARD,
  std: IMAGENET_STANDARD,
  centerCrop: false,
};

/** Class defaults of the image processors people use for classification, from transformers. */
const DEFAULTS_BY_TYPE: Readonly<Record<string, ProcessorDefaults>> = Object.freeze({
  ViTImageProcessor: VIT_DEFAULTS,
  ViTFeatureExtractor: VIT_DEFAULTS,
  DeiTImageProcessor: { intSizeIsSquare: true, resample: 3, mean: IMAGENET_DEFAULT_MEAN, std: IMAGENET_DEFAULT_STD, centerCrop: true },
  BeitImageProcessor: { intSizeIsSquare: true, resample: 3, mean: IMAGENET_STANDARD, std: IMAGENET_STANDARD, centerCrop: false },
  ConvNextImageProcessor: { intSizeIsSquare: false, resample: 3, mean: IMAGENET_DEFAULT_MEAN, std: IMAGENET_DEFAULT_STD, centerCrop: false },
  ConvNextFeatureExtractor: { intSizeIsSquare: false, resample: 3, mean: IMAGENET_DEFAULT_MEAN, std: IMAGENET_DEFAULT_STD, centerCrop: false },
  BitImageProcessor: { intSizeIsSquare: false, resample: 3, mean: CLIP_MEAN, std: CLIP_STD, centerCrop: true },
  CLIPImageProcessor: { intSizeIsSquare: false, resample: 3, mean: CLIP_MEAN, std: CLIP_STD, centerCrop: true },
});

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

type Json = Record<string, unknown>;

function triple(value: unknown, fallback: [number, number, number]): [number, number, number] | string {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number') return [value, value, value];
  if (Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return value as [number, number, number];
  }
  return `expected three numbers, got ${JSON.stringify(value)}`;
}

function positiveInt(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null;
}

function readSize(raw: unknown, intIsSquare: boolean): ResizeSpec | string {
  const n = positiveInt(raw);
  if (n !== null) return intIsSquare ? { kind: 'exact', width: n, height: n } : { kind: 'shortestEdge', shortestEdge: n };
  if (raw && typeof raw === 'object') {
    const s = raw as Json;
    const h = positiveInt(s.height);
    const w = positiveInt(s.width);
    if (h !== null && w !== null) return { kind: 'exact', width: w, height: h };
    const e = positiveInt(s.shortest_edge);
    if (e !== null) return { kind: 'shortestEdge', shortestEdge: e };
  }
  return `size ${JSON.stringify(raw)} is neither {height, width}, {shortest_edge} nor a positive integer`;
}

function readCrop(raw: unknown): { width: number; height: number } | string {
  const n = positiveInt(raw);
  if (n !== null) return { width: n, height: n };
  if (raw && typeof raw === 'object') {
    const s = raw as Json;
    const h = positiveInt(s.height);
    const w = positiveInt(s.width);
    if (h !== null && w !== null) return { width: w, height: h };
  }
  return `crop_size ${JSON.stringify(raw)} is neither {height, width} nor a positive integer`;
}

/**
 * Reads a preprocessor_config.json the way its Python image processor class would, so the
 * tensor tench builds is the one the model saw in training.
 */
export function parsePreprocessor(config: Json): Parsed<PreprocessSpec> {
  const type = typeof config.image_processor_type === 'string' ? config.image_processor_type
    : typeof config.feature_extractor_type === 'string' ? config.feature_extractor_type : 'ViTImageProcessor';
  const defaults = DEFAULTS_BY_TYPE[type] ?? VIT_DEFAULTS;
  const bad = (reason: string): Parsed<PreprocessSpec> => ({ ok: false, reason: `preprocessor_config.json: ${reason}` });

  const doResize = config.do_resize !== false;
  let resize: ResizeSpec | null = null;
  if (doResize) {
    const size = readSize(config.size ?? 224, defaults.intSizeIsSquare);
    if (typeof size === 'string') return bad(size);
    resize = size;
  }

  let crop: { width: number; height: number } | null = null;
  const doCrop = typeof config.do_center_crop === 'boolean' ? config.do_center_crop : defaults.centerCrop && config.crop_size !== undefined;
  if (doCrop) {
    const c = readCrop(config.crop_size ?? 224);
    if (typeof c === 'string') return bad(c);
    crop = c;
  }

  // ConvNeXt: below 384 the short side goes to shortest_edge / crop_pct, then a square crop.
  if (type.startsWith('ConvNext') && resize?.kind === 'shortestEdge') {
    const edge = resize.shortestEdge;
    if (edge < 384) {
      const pct = typeof config.crop_pct === 'number' && config.crop_pct > 0 ? config.crop_pct : 224 / 256;
      resize = { kind: 'shortestEdge', shortestEdge: Math.trunc(edge / pct) };
      crop = { width: edge, height: edge };
    } else {
      resize = { kind: 'exact', width: edge, height: edge };
      crop = null;
    }
  }

  const code = config.resample ?? defaults.resample;
  const resample = typeof code === 'number' ? PIL_RESAMPLE[code] : undefined;
  if (!resample) return bad(`resample ${JSON.stringify(code)} is not one of PIL's filters (0-5)`);

  const rescale = config.do_rescale === false ? null
    : typeof config.rescale_factor === 'number' ? config.rescale_factor : 1 / 255;

  let mean: [number, number, number] | null = null;
  let std: [number, number, number] | null = null;
  if (config.do_normalize !== false) {
    const m = triple(config.image_mean, defaults.mean);
    const s = triple(config.image_std, defaults.std);
    if (typeof m === 'string') return bad(`image_mean: ${m}`);
    if (typeof s === 'string') return bad(`image_std: ${s}`);
    if (s.some((v) => v === 0)) return bad('image_std contains 0');
    mean = m;
    std = s;
  }

  const out = crop ?? (resize?.kind === 'exact' ? resize : null);
  if (!out) {
    return bad('the model input size is not fixed (shortest_edge without a center crop); tench batches images of one size');
  }
  return {
    ok: true,
    value: { resize, resample, crop, rescale, mean, std, inputWidth: out.width, inputHeight: out.height },
  };
}
