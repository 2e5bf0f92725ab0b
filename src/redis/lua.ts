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
 * | `h:HOST` | hash | politeness: `a` in flight, `c` cap, `l` last start, `d` delay, `p` paused until, `s` state, `m` admitted (kept only with `maxPagesPerHost`), `hw` a redirect hop waits for a slot until |
 * | `q:HOST` | list | the host's queued entries (JSON) |
 * | `rr` | list | hosts ready now, served round-robin |
 * | `wait` | zset | hosts with work that become ready at a known time |
 * | `delayed` | zset | `HOST ENTRY` retries, by due time |
 * | `leases` | hash | token → `HOST ENTRY` (or `H` for a hold) |
 * | `lexp` | zset | token → lease expiry |
 * | `fly` | set | tokens whose request holds a host slot (leased, not released) |
 * | `results` | list | the job's records (JSON), each appended once |
 * | `fin:CONSUMER` | hash | tokens a process finished and has not seen the reply of yet |
 * | `s:N`, `smeta` | hashes | the seen set: 64-bit fingerprints (ten ASCII characters) in linear-hashing buckets |
 * | `ev` | channel | `w` (a host became ready or a timer moved earlier), `end` (nothing pending) |
 *
 * A host is in `rr` when it has queued entries, a free slot and its start
 * time has come; in `wait` when only time stands in its way; in neither when
 * its queue is empty or all its slots are taken (a release puts it back).
 * `resched` keeps that invariant for every host a call changed, once, at
 * the end of the call (`commit`).
 *
 * A busy process calls one script for nearly everything: `SYNC`
 * (`sync_lua.ts`) takes its releases, finishes, new URLs and lease request
 * together; the scripts here are the rarer steps (retries, holds, lease
 * renewals, redirect hops, politeness).
 *
 * @module
 */

/**
 * The Lua every script starts with: the job's keys, Redis' clock, and the
 * per-host bookkeeping (each host read once and written once per call).
 */
export const COMMON: string = `
local META = KEYS[1]
local P = string.sub(META, 1, -5)
local T = redis.call('TIME')
local NOW = tonumber(T[1]) * 1000 + math.floor(tonumber(T[2]) / 1000)
local WAKE = false
local READY = false
local function num(v, d) if v then return tonumber(v) end return d end
-- Integers as strings without Lua's float formatting (much slower in Redis' Lua).
local function int(v) return string.format('%d', v) end
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
-- The hosts this call reads, each read once (HMGET) and written once at its end: fields
-- a in flight, c cap, l last start, d delay, p paused until, s state, hw hop waits until,
-- m admitted; qn the queue's length when known. DIRTY lists the hosts to reschedule.
local HOSTS, DIRTY = {}, {}
local WAITED = false
local FIELDS = {'a', 'c', 'l', 'd', 'p', 's', 'hw', 'm'}
local function host(h)
  local x = HOSTS[h]
  if x then return x end
  local f = redis.call('HMGET', hk(h), unpack(FIELDS))
  x = {a = num(f[1], 0), c = f[2], l = f[3], d = f[4], p = f[5], s = f[6] or '', hw = f[7],
    m = num(f[8], 0), set = {}, freed = 0}
  x.s0 = x.s
  HOSTS[h] = x
  return x
end
-- Sets a host field, written at the end of the call.
local function hset(h, field, v)
  local x = host(h)
  x[field] = v
  x.set[field] = true
end
local function touch(h)
  local x = host(h)
  if not x.dirty then
    x.dirty = true
    DIRTY[#DIRTY + 1] = h
  end
  return x
end
local function ready_at(x)
  return math.max(num(x.l, -1e15) + num(x.d, 0), num(x.p, 0))
end
-- A host is in 'rr' when it has queued entries, a free slot and its start time has come; in
-- 'wait' when only time stands in its way; in neither otherwise. Keeps that, and writes the
-- host's changed fields in one HSET.
local function resched(h)
  local x = HOSTS[h]
  -- A redirect hop waits for this host's slot (until 'hw'): tell the job a slot is free.
  if x.freed > 0 and num(x.hw, 0) >= NOW then WAKE = true end
  local at = ready_at(x)
  local want = ''
  if x.a < num(x.c, 1) then
    if not x.qn then x.qn = redis.call('LLEN', qk(h)) end
    if x.qn > 0 then
      if at <= NOW then want = 'r' else want = 'w' end
    end
  end
  local st = x.s0
  if st == 'r' and want ~= 'r' then redis.call('LREM', P .. 'rr', x.rotated and -1 or 1, h) end
  if st == 'w' and want ~= 'w' then
    redis.call('ZREM', P .. 'wait', h)
    WAITED = true
  end
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
      WAITED = true
    end
  end
  if want ~= st then x.set.s = true end
  x.s = want
  local kv = {}
  for field in pairs(x.set) do
    kv[#kv + 1], kv[#kv + 2] = field, x[field]
  end
  if #kv > 0 then redis.call('HSET', hk(h), unpack(kv)) end
  x.set, x.freed, x.dirty, x.s0, x.rotated = {}, 0, false, want, false
end
local function flush()
  for _, h in ipairs(DIRTY) do resched(h) end
  DIRTY = {}
end
-- Frees the host slots of leases (tokens ts, hosts hs) that still hold one.
local function unfly(ts, hs)
  if #ts == 0 then return end
  local held = redis.call('SMISMEMBER', P .. 'fly', unpack(ts))
  local gone, once = {}, {}
  for i, y in ipairs(held) do
    -- A token listed twice (released and finished in one call) frees its slot once.
    if y == 1 and not once[ts[i]] then
      once[ts[i]] = true
      gone[#gone + 1] = ts[i]
      local x = touch(hs[i])
      x.freed = x.freed + 1
      hset(hs[i], 'a', x.a - 1)
    end
  end
  if #gone > 0 then redis.call('SREM', P .. 'fly', unpack(gone)) end
end
local function droplease(ts)
  if #ts == 0 then return end
  redis.call('HDEL', P .. 'leases', unpack(ts))
  redis.call('ZREM', P .. 'lexp', unpack(ts))
end
-- Pushes entries to a host's queue (front: in reverse, so the first stays first).
local function push(h, es, front)
  if #es == 0 then return end
  local x = touch(h)
  if front then
    local back = {}
    for j = #es, 1, -1 do back[#back + 1] = es[j] end
    x.qn = redis.call('LPUSH', qk(h), unpack(back))
  else
    x.qn = redis.call('RPUSH', qk(h), unpack(es))
  end
end
local function settle(delta)
  if redis.call('HINCRBY', META, 'pending', delta) <= 0 then
    redis.call('PUBLISH', P .. 'ev', 'end')
  end
end
-- Ends every script that changed hosts: reschedules them, then tells sleepers if needed.
local function commit()
  flush()
  if WAKE or (READY and redis.call('LLEN', P .. 'rr') > 0) then
    redis.call('PUBLISH', P .. 'ev', 'w')
  end
end
`;

/**
 * Stores the job's settings unless set already; returns the job's settings.
 * Fails with `OLD_SEEN` (`seen.ts`) for a job whose seen set it cannot read.
 */
export const INIT: string = COMMON + SEEN + `
seen_check()
local names = {'perHost', 'delayMs', 'maxPages', 'maxPagesPerHost', 'leaseMs'}
for i, name in ipairs(names) do redis.call('HSETNX', P .. 'cfg', name, ARGV[i]) end
return redis.call('HMGET', P .. 'cfg', unpack(names))
`;

/** ARGV: fingerprint. Returns 1 if newly marked seen. */
export const MARK: string = COMMON + SEEN + `
local added = seen_add(ARGV[1])
seen_save()
return added and 1 or 0
`;

/** ARGV: token, delay ms, entry, front (1: give back unfetched, 0: a retry). Returns 0 if the lease was lost. */
export const REQUEUE: string = COMMON + `
local t = ARGV[1]
local v = redis.call('HGET', P .. 'leases', t)
if not v or v == 'H' then return 0 end
local h = split(v)
unfly({t}, {h})
droplease({t})
touch(h)
local delay = tonumber(ARGV[2])
if delay > 0 then
  redis.call('ZADD', P .. 'delayed', NOW + delay, h .. ' ' .. ARGV[3])
  WAKE = true
elseif ARGV[4] == '1' then
  push(h, {counted(ARGV[3])}, true)
else
  push(h, {ARGV[3]}, false)
end
redis.call('HINCRBY', META, 'queued', 1)
if ARGV[4] ~= '1' then redis.call('HINCRBY', P .. 'stats', 'retries', 1) end
commit()
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
local expiry = int(NOW + tonumber(ARGV[1]))
local lost = {}
-- In chunks: Lua's unpack() takes a few thousand values at most.
for from = 2, #ARGV, 1000 do
  local ts = {unpack(ARGV, from, math.min(from + 999, #ARGV))}
  local live = {}
  for i, s in ipairs(redis.call('ZMSCORE', P .. 'lexp', unpack(ts))) do
    if s then
      live[#live + 1], live[#live + 2] = expiry, ts[i]
    else
      lost[#lost + 1] = ts[i]
    end
  end
  if #live > 0 then redis.call('ZADD', P .. 'lexp', unpack(live)) end
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
local x = touch(h)
if not x.c then hset(h, 'c', ARGV[2]) end
if not x.d then hset(h, 'd', ARGV[3]) end
local free = x.a < num(x.c, 1)
local at = ready_at(x)
if free and at <= NOW then
  local t = tostring(redis.call('HINCRBY', META, 'seq', 1))
  redis.call('HSET', P .. 'leases', t, 'S ' .. h)
  redis.call('ZADD', P .. 'lexp', NOW + tonumber(ARGV[4]), t)
  redis.call('SADD', P .. 'fly', t)
  hset(h, 'a', x.a + 1)
  hset(h, 'l', NOW)
  commit()
  return {t, NOW, -1}
end
-- Someone waits for this host's slot: the next release publishes an event (for a lease's time).
hset(h, 'hw', NOW + tonumber(ARGV[4]))
commit()
return {'', NOW, free and at or -1}
`;

/** ARGV: token. Gives a redirect hop's host slot back (idempotent); wakes whoever waits for it. */
export const HOPEND: string = COMMON + `
local v = redis.call('HGET', P .. 'leases', ARGV[1])
if v and string.sub(v, 1, 2) == 'S ' then
  unfly({ARGV[1]}, {string.sub(v, 3)})
  droplease({ARGV[1]})
end
flush()
redis.call('PUBLISH', P .. 'ev', 'w')
return 1
`;

/** ARGV: host, field (`p` pause for ms, `d` delay), ms. */
export const POLITENESS: string = COMMON + `
local h = ARGV[1]
local ms = tonumber(ARGV[3])
local x = touch(h)
if ARGV[2] == 'p' then
  local until_ = NOW + ms
  if until_ > num(x.p, 0) then hset(h, 'p', until_) end
else
  hset(h, 'd', ms)
end
commit()
return 1
`;
