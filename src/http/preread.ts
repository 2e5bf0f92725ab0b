/** Bodies read whole with their head, by response: readers take them without the stream. */
export const PREREAD: WeakMap<Response, Uint8Array> = new WeakMap();
