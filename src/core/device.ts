// Where a model runs and which of its weights: words every layer uses, defined once.

export const DEVICES = ['webgpu', 'webnn', 'wasm'] as const;
export type Device = (typeof DEVICES)[number];

/** The dtypes transformers.js reads, each from its own file of the Hub's onnx/ folder. */
export const DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16'] as const;
export type Dtype = (typeof DTYPES)[number];
