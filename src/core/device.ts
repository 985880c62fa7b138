// Where a model runs and which of its weights: words every layer uses, defined once.

export type Device = 'webgpu' | 'wasm';
export type Dtype = 'fp32' | 'fp16' | 'q8';
