/**
 * The job's seen set in Redis: 64-bit URL fingerprints (from
 * `fingerprint()`) as ten ASCII characters, never whole URLs, kept by linear
 * hashing over small Redis hashes so each stays in Redis' compact listpack
 * encoding.
 *
 * Measured (bench/redis.ts --memory): about 17 bytes a URL, against about
 * 50 for the same fingerprints in one plain SET.
 *
 * @module
 */

import { fingerprint } from "../frontier/fingerprint_set.ts";

/**
 * A URL's 64-bit fingerprint (from `fingerprint()`) as the seen set stores
 * it: ten 7-bit characters, high bits first. Plain ASCII, so a call that
 * carries fingerprints goes to Redis as text: ioredis writes a command with
 * any binary argument through node:net's buffer path, which costs Deno
 * 2.9 about 3 ns a byte of the whole command (a sync call with its records:
 * 113 against 52 µs of CPU, measured).
 *
 * @param url The normalized URL.
 * @returns Ten characters, each below U+0080.
 *
 * @example Usage
 * ```ts
 * import { fingerprintKey } from "./seen.ts";
 * import assert from "node:assert/strict";
 *
 * const key = fingerprintKey("https://example.org/");
 * assert.equal(key.length, 10);
 * assert.ok([...key].every((c) => c.charCodeAt(0) < 128));
 * ```
 */
export function fingerprintKey(url: string): string {
  let [hi, lo] = fingerprint(url);
  // Same as FingerprintSet: [0, 0] is reserved there, so both sets agree.
  if (hi === 0 && lo === 0) lo = 1;
  return String.fromCharCode(
    hi >>> 25,
    (hi >>> 18) & 127,
    (hi >>> 11) & 127,
    (hi >>> 4) & 127,
    ((hi & 15) << 3) | (lo >>> 29),
    (lo >>> 22) & 127,
    (lo >>> 15) & 127,
    (lo >>> 8) & 127,
    (lo >>> 1) & 127,
    lo & 1,
  );
}

/** The seen set's format (`f` in `smeta`): fingerprints as ten 7-bit characters. */
const FORMAT = "a10";

/**
 * The error a script answers for a job whose seen set has another format
 * (one written before fingerprints were text): its URLs would all look new.
 */
export const OLD_SEEN = "OLDSEEN";

/**
 * The Lua of the seen set, to follow `COMMON` in a script: `seen_has(fp)`,
 * `seen_add(fp)` (false if present), `seen_save()` (once, at the end) and
 * `seen_check()` (a process joining a job: fails with {@linkcode OLD_SEEN}
 * for a set of another format).
 *
 * Linear hashing over small hashes: bucket i holds fingerprints whose
 * number (`lo28`: 28 bits of the low half) is i modulo 2^L (2^(L+1) for
 * buckets already split this round).
 * Once the set averages LOAD per bucket, the next bucket is split, so a
 * bucket holds 40 to 80 on average and stays under the listpack limit
 * (`hash-max-listpack-entries`, 128 by default): a 14-byte listpack entry
 * per fingerprint plus the buckets' own overhead. A bucket past the limit
 * turns into a hashtable (still correct, just larger).
 */
export const SEEN: string = `
local LOAD = 40
local FORMAT, OLD_SEEN = '${FORMAT}', '${OLD_SEEN}'
local SM = P .. 'smeta'
local sL, sS, sN, sDirty
-- 28 bits of the fingerprint's low half (characters 6 to 9), for the bucket.
local function lo28(fp)
  local b1, b2, b3, b4 = string.byte(fp, 6, 9)
  return ((b1 * 128 + b2) * 128 + b3) * 128 + b4
end
local function sbucket(x)
  if not sL then
    local m = redis.call('HMGET', SM, 'L', 's', 'n')
    sL, sS, sN = num(m[1], 0), num(m[2], 0), num(m[3], 0)
  end
  local b = x % (2 ^ sL)
  if b < sS then b = x % (2 ^ (sL + 1)) end
  return P .. 's:' .. int(b)
end
local function seen_has(fp)
  return redis.call('HEXISTS', sbucket(lo28(fp)), fp) == 1
end
local function seen_add(fp)
  if redis.call('HSETNX', sbucket(lo28(fp)), fp, '') == 0 then return false end
  sN = sN + 1
  sDirty = true
  if sN > LOAD * (2 ^ sL + sS) then
    local from, to, mod = P .. 's:' .. int(sS), P .. 's:' .. int(sS + 2 ^ sL), 2 ^ (sL + 1)
    local moved, kv = {}, {}
    for _, f in ipairs(redis.call('HKEYS', from)) do
      if lo28(f) % mod ~= sS then
        moved[#moved + 1] = f
        kv[#kv + 1], kv[#kv + 2] = f, ''
      end
    end
    if #moved > 0 then
      redis.call('HDEL', from, unpack(moved))
      redis.call('HSET', to, unpack(kv))
    end
    sS = sS + 1
    if sS == 2 ^ sL then sL, sS = sL + 1, 0 end
  end
  return true
end
-- Refuses a set written before fingerprints were text (8-byte ones, no 'f'): none would match.
local function seen_check()
  local m = redis.call('HMGET', SM, 'n', 'f')
  if num(m[1], 0) > 0 and m[2] ~= FORMAT then error({err = OLD_SEEN}) end
end
local function seen_save()
  if sDirty then redis.call('HSET', SM, 'L', sL, 's', sS, 'n', sN, 'f', FORMAT) end
end
`;
