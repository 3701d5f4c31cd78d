/** Messages between the map stage and its worker thread. */

export interface MapRequest {
  id: number;
  /** URL of the module exporting the mapper, and the export's name. */
  module: string;
  name: string;
  items: unknown[];
}

/** Per item: the mapper's outcome, or the message of what it threw. */
export type MapResult = { o: unknown } | { e: string };

/** `json`: the batch's MapResult[] as one JSON text; `failed`: the mapper could not be loaded. */
export type MapResponse = { id: number; json: string } | { id: number; failed: string };
