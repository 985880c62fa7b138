// Where a model runs and which of its weights: words every layer uses, defined once.

export const DEVICES = ['webgpu', 'webnn', 'wasm'] as const;
export type Device = (typeof DEVICES)[number];

/** The dtypes transformers.js reads, each from its own file of the Hub's onnx/ folder. */
export const DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16'] as const;
export type Dtype = (typeof DTYPES)[number];

/** What a run may ask for: a device, or `auto` to take the best the browser offers. */
export type RequestedDevice = 'auto' | Device;

/** The batch a WebNN session is made for unless the run says: every batch it runs is padded or split to it. */
export const WEBNN_BATCH = 8;
