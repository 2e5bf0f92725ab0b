/**
 * The job's seen set in Redis: 8-byte URL fingerprints (from
 * `fingerprint()`), never whole URLs, kept by linear hashing over small
 * Redis hashes so each stays in Redis' compact listpack encoding.
 *
 * Measured (bench/redis.ts --memory): about 15 bytes a URL, against about
 * 50 for the same fingerprints in one plain SET.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { fingerprint } from "../frontier/fingerprint_set.ts";

/**
 * A URL's 8-byte fingerprint, as the seen set stores it (high half first).
 *
 * @param url The normalized URL.
 * @returns 8 bytes.
 *
 * @example Usage
 * ```ts
 * import { fingerprintBytes } from "./seen.ts";
 * fingerprintBytes("https://example.org/").length; // 8
 * ```
 */
export function fingerprintBytes(url: string): Buffer {
  let [hi, lo] = fingerprint(url);
  // Same as FingerprintSet: [0, 0] is reserved there, so both sets agree.
  if (hi === 0 && lo === 0) lo = 1;
  const bytes = Buffer.alloc(8);
  bytes.writeUInt32BE(hi, 0);
  bytes.writeUInt32BE(lo, 4);
  return bytes;
}

/**
 * The Lua of the seen set, to follow `COMMON` in a script: `seen_has(fp)`,
 * `seen_add(fp)` (false if present) and `seen_save()` (once, at the end).
 *
 * Linear hashing over small hashes: bucket i holds fingerprints whose low
 * 32 bits are i modulo 2^L (2^(L+1) for buckets already split this round).
 * Once the set averages LOAD per bucket, the next bucket is split, so a
 * bucket holds 40 to 80 on average and stays under the listpack limit
 * (`hash-max-listpack-entries`, 128 by default): a 12-byte listpack entry
 * per fingerprint plus the buckets' own overhead. A bucket past the limit
 * turns into a hashtable (still correct, just larger).
 */
export const SEEN: string = `
local LOAD = 40
local SM = P .. 'smeta'
local sL, sS, sN, sDirty
local function lo32(fp)
  local b1, b2, b3, b4 = string.byte(fp, 5, 8)
  return ((b1 * 256 + b2) * 256 + b3) * 256 + b4
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
  return redis.call('HEXISTS', sbucket(lo32(fp)), fp) == 1
end
local function seen_add(fp)
  if redis.call('HSETNX', sbucket(lo32(fp)), fp, '') == 0 then return false end
  sN = sN + 1
  sDirty = true
  if sN > LOAD * (2 ^ sL + sS) then
    local from, to, mod = P .. 's:' .. int(sS), P .. 's:' .. int(sS + 2 ^ sL), 2 ^ (sL + 1)
    local moved, kv = {}, {}
    for _, f in ipairs(redis.call('HKEYS', from)) do
      if lo32(f) % mod ~= sS then
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
local function seen_save()
  if sDirty then redis.call('HSET', SM, 'L', sL, 's', sS, 'n', sN) end
end
`;
