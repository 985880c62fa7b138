// "Pick the largest batch size that can fit", as the Ray example advises, computed from the
// model's shapes and the adapter's buffer limits instead of guessed.

/** The activation sizes of a transformer encoder that bound a batch on WebGPU. */
export interface EncoderShape {
  /** Sequence length: patches plus the class token. */
  tokens: number;
  patch: number;
  layers: number;
  heads: number;
  hidden: number;
  intermediate: number;
}

/** From a ViT-style config.json; null when the model is not a transformer encoder we know. */
export function encoderShape(config: Record<string, unknown>): EncoderShape | null {
  const n = (key: string) => (typeof config[key] === 'number' ? (config[key] as number) : null);
  const image = n('image_size');
  const patch = n('patch_size');
  const heads = n('num_attention_heads');
  const hidden = n('hidden_size');
  const intermediate = n('intermediate_size');
  const layers = n('num_hidden_layers');
  if (!image || !patch || !heads || !hidden || !intermediate || !layers) return null;
  return { tokens: (Math.floor(image / patch) ** 2) + 1, patch, layers, heads, hidden, intermediate };
}

/** Multiply-adds x 2 for one image: patch embedding, then attention and MLP in every layer. */
export function flopsPerImage(s: EncoderShape): number {
  const t = s.tokens;
  const embed = t * 3 * s.patch * s.patch * s.hidden;
  const layer = t * s.hidden * s.hidden * 4 + 2 * t * t * s.hidden + 2 * t * s.hidden * s.intermediate;
  return 2 * (embed + s.layers * layer);
}

/** Bytes of the largest single float32 activation for one image: one buffer holds it. */
export function largestActivationBytes(s: EncoderShape): number {
  return 4 * Math.max(s.heads * s.tokens * s.tokens, s.tokens * s.intermediate, s.tokens * s.hidden * 3);
}

export interface BatchLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

/**
 * The largest batch whose biggest activation fits one WebGPU buffer binding, with room left
 * (half the limit: ORT allocates neighbours of the same size), capped where larger batches stop
 * paying. Without a shape, a moderate default.
 */
export function largestBatch(shape: EncoderShape | null, limits: BatchLimits, cap = 64): number {
  if (!shape) return Math.min(cap, 16);
  const limit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize) / 2;
  return Math.max(1, Math.min(cap, Math.floor(limit / largestActivationBytes(shape))));
}
