// What a run is asked to do: the dataset, the model and every setting, as the page and the CLI
// hand it to runJob and as a run keeps it to be resumed. The settings, their types and which a
// request may leave out are the settings table's (settings.ts).

import type { DatasetSpec } from './datasets/spec.ts';
import type { ModelRef } from './model/model.ts';
import type { RequestSettings } from './settings.ts';

export interface JobRequest extends RequestSettings {
  dataset: DatasetSpec;
  model: ModelRef;
  /** Longer side of the gallery thumbnails kept per image; 0 keeps none. Default 96. No flag or field sets it. */
  thumbnails?: number;
}
