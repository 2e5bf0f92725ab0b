import { SEEN } from "./seen.ts";

/**
 * The Lua scripts of a shared crawl job. Each runs atomically in Redis, on
 * Redis' clock (`TIME`), so processes on many machines agree on time.
 *
 * Keys, under the job's prefix `crawl:{JOB}:` (the `{}` hash tag keeps a
 * job in one cluster slot); `KEYS[1]` is `<prefix>meta`:
 *
 * | key | type | holds |
 * | --- | --- | --- |
 * | `meta` | hash | `pending` (queued + leased + holds), `queued`, `seq`, `started`, `closed` |
 * | `cfg` | hash | the job's `perHost`, `delayMs`, `maxPages`, `maxPagesPerHost`, `leaseMs`, set by the first process (`INIT`); the scripts that apply them are given them by each call, so a job keeps its settings even if Redis lost its data |
 * | `stats` | hash | job totals: `added`, `leased`, `records`, `pagesOk`, `bytes`, `error:CODE`, ... |
 * | `h:HOST` | hash | politeness: `a` in flight, `c` cap, `l` last start, `d` delay, `p` paused until, `s` state, `m` admitted, `hw` a redirect hop waits for a slot until |
 * | `q:HOST` | list | the host's queued entries (JSON) |
 * | `rr` | list | hosts ready now, served round-robin |
 * | `wait` | zset | hosts with work that become ready at a known time |
 * | `delayed` | zset | `HOST ENTRY` retries, by due time |
 * | `leases` | hash | token → `HOST ENTRY` (or `H` for a hold) |
 * | `lexp` | zset | token → lease expiry |
 * | `fly` | set | tokens whose request holds a host slot (leased, not released) |
 * | `results` | list | the job's records (JSON), each appended once |
 * | `fin:CONSUMER` | hash | tokens a process finished and has not seen the reply of yet |
 * | `s:N`, `smeta` | hashes | the seen set: 8-byte fingerprints in linear-hashing buckets |
 * | `ev` | channel | `w` (a host became ready or a timer moved earlier), `end` (nothing pending) |
 *
 * A host is in `rr` when it has queued entries, a free slot and its start
 * time has come; in `wait` when only time stands in its way; in neither when
 * its queue is empty or all its slots are taken (a release puts it back).
 * `resched` keeps that invariant after every change to a host.
 *
 * @module
 */

const COMMON = `
local META = KEYS[1]
local P = string.sub(META, 1, -5)
local T = redis.call('TIME')
local NOW = tonumber(T[1]) * 1000 + math.floor(tonumber(T[2]) / 1000)
local WAKE = false
local READY = false
local function num(v, d) if v then return tonumber(v) end return d end
local function hk(h) return P .. 'h:' .. h end
-- A first fetch not yet counted against maxPages: attempts 0, and not marked as counted by a
-- lease that went back to the queue unfetched (a reclaimed or given-back lease counts once).
local FIRST, MARK = '{"attempts":0,', '"counted":true,'
local function uncounted(e)
  return string.sub(e, 1, 14) == FIRST and string.sub(e, 15, 29) ~= MARK
end
local function counted(e)
  if uncounted(e) then return FIRST .. MARK .. string.sub(e, 15) end
  return e
end
local function qk(h) return P .. 'q:' .. h end
local function split(v)
  local i = string.find(v, ' ', 1, true)
  return string.sub(v, 1, i - 1), string.sub(v, i + 1)
end
local function resched(h)
  local k = hk(h)
  local f = redis.call('HMGET', k, 'a', 'c', 'l', 'd', 'p', 's')
  local at = math.max(num(f[3], -1e15) + num(f[4], 0), num(f[5], 0))
  local st = f[6] or ''
  local want = ''
  if num(f[1], 0) < num(f[2], 1) and redis.call('LLEN', qk(h)) > 0 then
    if at <= NOW then want = 'r' else want = 'w' end
  end
  if st == 'r' and want ~= 'r' then redis.call('LREM', P .. 'rr', 1, h) end
  if st == 'w' and want ~= 'w' then redis.call('ZREM', P .. 'wait', h) end
  if want == 'r' and st ~= 'r' then
    redis.call('RPUSH', P .. 'rr', h)
    READY = true
  end
  if want == 'w' then
    local old = redis.call('ZSCORE', P .. 'wait', h)
    if not old or tonumber(old) ~= at then
      -- Sleepers' timers are at most the earliest wait: only an earlier one needs news.
      local first = redis.call('ZRANGE', P .. 'wait', 0, 0, 'WITHSCORES')
      if not first[2] or tonumber(first[2]) > at then WAKE = true end
      redis.call('ZADD', P .. 'wait', at, h)
    end
  end
  if want ~= st then redis.call('HSET', k, 's', want) end
end
local function unfly(t, h)
  if redis.call('SREM', P .. 'fly', t) == 1 then
    redis.call('HINCRBY', hk(h), 'a', -1)
    -- A redirect hop waits for this host's slot (until 'hw'): tell the job a slot is free.
    if num(redis.call('HGET', hk(h), 'hw'), 0) >= NOW then WAKE = true end
    resched(h)
  end
end
local function droplease(t)
  redis.call('HDEL', P .. 'leases', t)
  redis.call('ZREM', P .. 'lexp', t)
end
local function settle(delta)
  if redis.call('HINCRBY', META, 'pending', delta) <= 0 then
    redis.call('PUBLISH', P .. 'ev', 'end')
  end
end
local function wake()
  if WAKE or (READY and redis.call('LLEN', P .. 'rr') > 0) then
    redis.call('PUBLISH', P .. 'ev', 'w')
  end
end
`;

/** Stores the job's settings unless set already; returns the job's settings. */
export const INIT: string = COMMON + `
local names = {'perHost', 'delayMs', 'maxPages', 'maxPagesPerHost', 'leaseMs'}
for i, name in ipairs(names) do redis.call('HSETNX', P .. 'cfg', name, ARGV[i]) end
return redis.call('HMGET', P .. 'cfg', unpack(names))
`;

/**
 * ARGV: the job's perHost, delayMs and maxPagesPerHost (0: unlimited), the
 * count, then (fingerprint, host, entry) per URL. Returns queued, then 0 seen
 * / 1 added / 2 host limit / 3 closed.
 */
export const ADD: string = COMMON + SEEN + `
local perHost, delay, maxHost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local closed = redis.call('HGET', META, 'closed') == '1'
local out, added = {}, 0
for i = 0, tonumber(ARGV[4]) - 1 do
  local fp, h, e = ARGV[5 + i * 3], ARGV[6 + i * 3], ARGV[7 + i * 3]
  local k = hk(h)
  local outcome = 0
  if closed then
    outcome = 3
  elseif maxHost > 0 and num(redis.call('HGET', k, 'm'), 0) >= maxHost then
    if not seen_has(fp) then outcome = 2 end
  elseif seen_add(fp) then
    redis.call('HSETNX', k, 'c', perHost)
    redis.call('HSETNX', k, 'd', delay)
    redis.call('HINCRBY', k, 'm', 1)
    redis.call('RPUSH', qk(h), e)
    resched(h)
    added = added + 1
    outcome = 1
  end
  out[#out + 1] = outcome
end
seen_save()
local queued = redis.call('HINCRBY', META, 'queued', added)
redis.call('HINCRBY', META, 'pending', added)
redis.call('HINCRBY', P .. 'stats', 'added', added)
wake()
table.insert(out, 1, queued)
return out
`;

/** ARGV: fingerprint. Returns 1 if newly marked seen. */
export const MARK: string = COMMON + SEEN + `
local added = seen_add(ARGV[1])
seen_save()
return added and 1 or 0
`;

/**
 * ARGV: most entries to lease, the job's leaseMs and maxPages (0: unlimited).
 * Reclaims expired leases, promotes due retries and hosts, then leases
 * round-robin over ready hosts. Returns closed, pending, queued, now,
 * wake-at (-1: none), then token, entry pairs.
 */
export const LEASE: string = COMMON + `
local leaseMs, maxPages = tonumber(ARGV[2]), tonumber(ARGV[3])
for _, t in ipairs(redis.call('ZRANGEBYSCORE', P .. 'lexp', '-inf', NOW, 'LIMIT', 0, 100)) do
  local v = redis.call('HGET', P .. 'leases', t)
  droplease(t)
  if v == 'H' then
    settle(-1)
  elseif v and string.sub(v, 1, 2) == 'S ' then
    -- A redirect hop's host slot whose process stopped extending it.
    unfly(t, string.sub(v, 3))
  elseif v then
    local h, e = split(v)
    unfly(t, h)
    redis.call('LPUSH', qk(h), counted(e))
    redis.call('HINCRBY', META, 'queued', 1)
    redis.call('HINCRBY', P .. 'stats', 'reclaimed', 1)
    resched(h)
  end
end
for _, v in ipairs(redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', NOW, 'LIMIT', 0, 100)) do
  redis.call('ZREM', P .. 'delayed', v)
  local h, e = split(v)
  redis.call('RPUSH', qk(h), e)
  resched(h)
end
for _, h in ipairs(redis.call('ZRANGEBYSCORE', P .. 'wait', '-inf', NOW, 'LIMIT', 0, 100)) do
  resched(h)
end
local out = {}
local closed = redis.call('HGET', META, 'closed') == '1'
local n, taken = tonumber(ARGV[1]), 0
while not closed and taken < n do
  local h = redis.call('LPOP', P .. 'rr')
  if not h then break end
  local k = hk(h)
  redis.call('HSET', k, 's', '')
  local f = redis.call('HMGET', k, 'a', 'c', 'l', 'd', 'p')
  local a = num(f[1], 0)
  local at = math.max(num(f[3], -1e15) + num(f[4], 0), num(f[5], 0))
  local e = false
  if a < num(f[2], 1) and at <= NOW then e = redis.call('LPOP', qk(h)) end
  if e then
    local t = tostring(redis.call('HINCRBY', META, 'seq', 1))
    redis.call('HSET', P .. 'leases', t, h .. ' ' .. e)
    redis.call('ZADD', P .. 'lexp', NOW + leaseMs, t)
    redis.call('SADD', P .. 'fly', t)
    redis.call('HSET', k, 'a', a + 1, 'l', NOW)
    redis.call('HINCRBY', META, 'queued', -1)
    taken = taken + 1
    out[#out + 1] = t
    out[#out + 1] = e
    if maxPages > 0 and uncounted(e) then
      if redis.call('HINCRBY', META, 'started', 1) >= maxPages then
        redis.call('HSET', META, 'closed', '1')
        closed = true
      end
    end
  end
  resched(h)
end
if taken > 0 then redis.call('HINCRBY', P .. 'stats', 'leased', taken) end
local at = -1
for _, key in ipairs({'wait', 'delayed', 'lexp'}) do
  local first = redis.call('ZRANGE', P .. key, 0, 0, 'WITHSCORES')
  if first[2] then
    local s = tonumber(first[2])
    if at < 0 or s < at then at = s end
  end
end
local m = redis.call('HMGET', META, 'pending', 'queued')
wake()
return {closed and 1 or 0, num(m[1], 0), num(m[2], 0), NOW, at, unpack(out)}
`;

/** ARGV: token. Frees the lease's host slot (idempotent). */
export const RELEASE: string = COMMON + `
local v = redis.call('HGET', P .. 'leases', ARGV[1])
if v and v ~= 'H' then unfly(ARGV[1], (split(v))) end
wake()
return v and 1 or 0
`;

/** ARGV: token, delay ms, entry, front (1: give back unfetched, 0: a retry). Returns 0 if the lease was lost. */
export const REQUEUE: string = COMMON + `
local t = ARGV[1]
local v = redis.call('HGET', P .. 'leases', t)
if not v or v == 'H' then return 0 end
local h = split(v)
unfly(t, h)
droplease(t)
local delay = tonumber(ARGV[2])
if delay > 0 then
  redis.call('ZADD', P .. 'delayed', NOW + delay, h .. ' ' .. ARGV[3])
  WAKE = true
elseif ARGV[4] == '1' then
  redis.call('LPUSH', qk(h), counted(ARGV[3]))
else
  redis.call('RPUSH', qk(h), ARGV[3])
end
redis.call('HINCRBY', META, 'queued', 1)
if ARGV[4] ~= '1' then redis.call('HINCRBY', P .. 'stats', 'retries', 1) end
resched(h)
wake()
return 1
`;

/**
 * ARGV: token, record ('' for none), ok (1/0), error code, bytes, consumer,
 * then tokens whose finish reply the consumer has seen. Appends the record
 * and ends the lease in one step. Returns 1 done, 2 done before (a resent
 * command), 0 lost (the lease expired and went to another process).
 */
export const FINISH: string = COMMON + `
local t = ARGV[1]
local fin = P .. 'fin:' .. ARGV[6]
if #ARGV > 6 then redis.call('HDEL', fin, unpack(ARGV, 7)) end
local v = redis.call('HGET', P .. 'leases', t)
if not v or v == 'H' then
  if redis.call('HEXISTS', fin, t) == 1 then return 2 end
  redis.call('HINCRBY', P .. 'stats', 'lost', 1)
  return 0
end
unfly(t, (split(v)))
droplease(t)
local S = P .. 'stats'
if ARGV[2] ~= '' then
  redis.call('RPUSH', P .. 'results', ARGV[2])
  redis.call('HINCRBY', S, 'records', 1)
  if ARGV[3] == '1' then redis.call('HINCRBY', S, 'pagesOk', 1) end
  if ARGV[4] ~= '' then redis.call('HINCRBY', S, 'error:' .. ARGV[4], 1) end
  redis.call('HINCRBY', S, 'bytes', tonumber(ARGV[5]))
else
  redis.call('HINCRBY', S, 'skipped', 1)
end
redis.call('HSET', fin, t, '1')
redis.call('PEXPIRE', fin, 86400000)
settle(-1)
wake()
return 1
`;

/** ARGV: the job's leaseMs. Takes a hold: a lease without a URL that keeps the job open. Returns its token. */
export const HOLD: string = COMMON + `
local leaseMs = tonumber(ARGV[1])
local t = tostring(redis.call('HINCRBY', META, 'seq', 1))
redis.call('HSET', P .. 'leases', t, 'H')
redis.call('ZADD', P .. 'lexp', NOW + leaseMs, t)
redis.call('HINCRBY', META, 'pending', 1)
return t
`;

/** ARGV: token. Ends a hold (idempotent). */
export const UNHOLD: string = COMMON + `
if redis.call('HDEL', P .. 'leases', ARGV[1]) == 1 then
  redis.call('ZREM', P .. 'lexp', ARGV[1])
  settle(-1)
end
return 1
`;

/** ARGV: the job's leaseMs, then tokens. Pushes their expiry to now + leaseMs; returns the tokens no longer leased. */
export const EXTEND: string = COMMON + `
local leaseMs = tonumber(ARGV[1])
local lost = {}
for i = 2, #ARGV do
  local t = ARGV[i]
  if redis.call('ZSCORE', P .. 'lexp', t) then
    redis.call('ZADD', P .. 'lexp', NOW + leaseMs, t)
  else
    lost[#lost + 1] = t
  end
end
return lost
`;

/**
 * ARGV: host, the job's perHost, delayMs and leaseMs. Takes the host's slot
 * for a redirect hop to it, if one is free and the host's start time has
 * come: a lease of its own (`S HOST`), extended and reclaimed like the
 * others. Returns the token ('' when not taken), Redis' clock, and when the
 * host may be ready (-1: only a release frees it).
 */
export const HOP: string = COMMON + `
local h = ARGV[1]
local k = hk(h)
redis.call('HSETNX', k, 'c', ARGV[2])
redis.call('HSETNX', k, 'd', ARGV[3])
local f = redis.call('HMGET', k, 'a', 'c', 'l', 'd', 'p')
local a = num(f[1], 0)
local free = a < num(f[2], 1)
local at = math.max(num(f[3], -1e15) + num(f[4], 0), num(f[5], 0))
if free and at <= NOW then
  local t = tostring(redis.call('HINCRBY', META, 'seq', 1))
  redis.call('HSET', P .. 'leases', t, 'S ' .. h)
  redis.call('ZADD', P .. 'lexp', NOW + tonumber(ARGV[4]), t)
  redis.call('SADD', P .. 'fly', t)
  redis.call('HSET', k, 'a', a + 1, 'l', NOW)
  resched(h)
  return {t, NOW, -1}
end
-- Someone waits for this host's slot: the next release publishes an event (for a lease's time).
redis.call('HSET', k, 'hw', NOW + tonumber(ARGV[4]))
return {'', NOW, free and at or -1}
`;

/** ARGV: token. Gives a redirect hop's host slot back (idempotent); wakes whoever waits for it. */
export const HOPEND: string = COMMON + `
local v = redis.call('HGET', P .. 'leases', ARGV[1])
if v and string.sub(v, 1, 2) == 'S ' then
  unfly(ARGV[1], string.sub(v, 3))
  droplease(ARGV[1])
end
redis.call('PUBLISH', P .. 'ev', 'w')
return 1
`;

/** ARGV: host, field (`p` pause for ms, `d` delay), ms. */
export const POLITENESS: string = COMMON + `
local h, k = ARGV[1], hk(ARGV[1])
local ms = tonumber(ARGV[3])
if ARGV[2] == 'p' then
  local until_ = NOW + ms
  if until_ > num(redis.call('HGET', k, 'p'), 0) then redis.call('HSET', k, 'p', until_) end
else
  redis.call('HSET', k, 'd', ms)
end
resched(h)
wake()
return 1
`;
