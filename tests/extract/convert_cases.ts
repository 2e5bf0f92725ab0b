/**
 * Table checks of `convert` for the extraction tests
 * (`convert_test.ts`, `apply_test.ts`), against one page URL.
 *
 * @module
 */

import assert from "node:assert/strict";
import { convert } from "../../src/extract/convert.ts";

/** The page URL values are converted on (the base of `url` values). */
export const PAGE = "https://shop.test/products/tent.html";

/** Converts each raw value, expecting a value. */
export function values(type: Parameters<typeof convert>[1], cases: [string, unknown][]): void {
  for (const [raw, value] of cases) {
    assert.deepEqual(convert(raw, type, PAGE), { value }, `${type} from ${JSON.stringify(raw)}`);
  }
}

/** Converts each raw value, expecting an error `${expected}: received "raw"`. */
export function errors(
  type: Parameters<typeof convert>[1],
  expected: string,
  raws: string[],
): void {
  for (const raw of raws) {
    assert.deepEqual(
      convert(raw, type, PAGE),
      { error: `${expected}: received ${JSON.stringify(raw)}` },
      `${type} from ${JSON.stringify(raw)}`,
    );
  }
}
