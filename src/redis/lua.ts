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

/** Stores the job's settings unless set already; returns the job's settings. */
export const INIT: string = COMMON + `
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

/**
 * Everything a process sends while its previous call is in flight, in one
 * call: releases and finishes, then URLs to add, then leases (which so see
 * the slots and URLs just freed and added). ARGV: consumer, the job's
 * perHost, delayMs, maxPagesPerHost, leaseMs and maxPages (0: unlimited),
 * most entries to lease (0: none); then the count and tokens whose finish
 * reply the consumer has seen; the count and tokens to release (free their
 * host slot; idempotent); the count of finishes and per finish: token,
 * record ('' for none), ok (1/0), error code, bytes; the count of URLs to
 * add and per URL: fingerprint, host, entry.
 *
 * A finish appends its record and ends its lease in one step: 1 done, 2
 * done before (a resent command), 0 lost (the lease expired and went to
 * another process). An add answers 0 seen, 1 added, 2 over its host's
 * limit, 3 closed; a host's new entries go to its queue in one push.
 * Leasing reclaims expired leases and promotes due retries and hosts first,
 * then goes round-robin over the ready hosts: each gets an even share of
 * what is left to lease (as many as its free slots allow, one if it has a
 * start interval), taken from its queue in one pop.
 *
 * Returns closed, pending, queued, now, wake-at (-1: none), the finishes'
 * count and answers, the adds' count and answers, then token, entry pairs.
 */
export const SYNC: string = COMMON + SEEN + `
local function first(key)
  local f = redis.call('ZRANGE', P .. key, 0, 0, 'WITHSCORES')
  if f[2] then return tonumber(f[2]) end
  return nil
end
local CONSUMER = ARGV[1]
local perHost, delay, maxHost = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local leaseMs, maxPages, n = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
-- The job's counters, read once and written once (changed fields only) at the end.
local mv = redis.call('HMGET', META, 'closed', 'seq', 'pending', 'queued', 'started')
local M = {closed = mv[1] == '1', seq = num(mv[2], 0), pending = num(mv[3], 0),
  queued = num(mv[4], 0), started = num(mv[5], 0)}
local M0 = {closed = M.closed, seq = M.seq, pending = M.pending, queued = M.queued,
  started = M.started}
local ENDED = false
local function pend(delta)
  M.pending = M.pending + delta
  if delta < 0 and M.pending <= 0 then ENDED = true end
end
-- The job's stats to add, written at the end.
local STATS = {}
local function stat(field, d)
  if d ~= 0 then STATS[field] = (STATS[field] or 0) + d end
end
local function save()
  local kv = {}
  for _, f in ipairs({'seq', 'pending', 'queued', 'started'}) do
    if M[f] ~= M0[f] then kv[#kv + 1], kv[#kv + 2] = f, int(M[f]) end
  end
  if M.closed and not M0.closed then kv[#kv + 1], kv[#kv + 2] = 'closed', '1' end
  if #kv > 0 then redis.call('HSET', META, unpack(kv)) end
  if ENDED and M.pending <= 0 then redis.call('PUBLISH', P .. 'ev', 'end') end
  local fields = {}
  for f in pairs(STATS) do fields[#fields + 1] = f end
  if #fields < 3 then
    for _, f in ipairs(fields) do redis.call('HINCRBY', P .. 'stats', f, STATS[f]) end
  elseif #fields > 0 then
    local old = redis.call('HMGET', P .. 'stats', unpack(fields))
    local skv = {}
    for j, f in ipairs(fields) do skv[#skv + 1], skv[#skv + 2] = f, int(num(old[j], 0) + STATS[f]) end
    redis.call('HSET', P .. 'stats', unpack(skv))
  end
end
local function settle_part(i0)
  local fin = P .. 'fin:' .. CONSUMER
  local i = i0
  local na = tonumber(ARGV[i])
  if na > 0 then redis.call('HDEL', fin, unpack(ARGV, i + 1, i + na)) end
  i = i + na + 1
  local nr = tonumber(ARGV[i])
  local rel = i
  i = i + nr + 1
  local nf = tonumber(ARGV[i])
  -- One read of the leases for the releases and the finishes.
  local toks = {unpack(ARGV, rel + 1, rel + nr)}
  for j = 0, nf - 1 do toks[#toks + 1] = ARGV[i + 1 + j * 5] end
  local out = {}
  if #toks == 0 then return out, i + 1 end
  local vs = redis.call('HMGET', P .. 'leases', unpack(toks))
  local ts, hs = {}, {}
  for j = 1, nr do
    local v = vs[j]
    if v and v ~= 'H' then ts[#ts + 1], hs[#hs + 1] = toks[j], (split(v)) end
  end
  local done, marks, records, errors = {}, {}, {}, {}
  local ok, bytes, skipped, lost = 0, 0, 0, 0
  for j = 1, nf do
    local b = i + 1 + (j - 1) * 5
    local t, v = ARGV[b], vs[nr + j]
    if not v or v == 'H' then
      if redis.call('HEXISTS', fin, t) == 1 then
        out[j] = 2
      else
        lost = lost + 1
        out[j] = 0
      end
    else
      ts[#ts + 1], hs[#hs + 1] = t, (split(v))
      done[#done + 1] = t
      marks[#marks + 1], marks[#marks + 2] = t, '1'
      if ARGV[b + 1] ~= '' then
        records[#records + 1] = ARGV[b + 1]
        if ARGV[b + 2] == '1' then ok = ok + 1 end
        local code = ARGV[b + 3]
        if code ~= '' then errors[code] = (errors[code] or 0) + 1 end
        bytes = bytes + tonumber(ARGV[b + 4])
      else
        skipped = skipped + 1
      end
      out[j] = 1
    end
  end
  unfly(ts, hs)
  stat('lost', lost)
  if #done > 0 then
    droplease(done)
    if #records > 0 then
      redis.call('RPUSH', P .. 'results', unpack(records))
      stat('records', #records)
      stat('pagesOk', ok)
      for code, c in pairs(errors) do stat('error:' .. code, c) end
      stat('bytes', bytes)
    end
    stat('skipped', skipped)
    redis.call('HSET', fin, unpack(marks))
    redis.call('PEXPIRE', fin, 86400000)
    pend(-#done)
  end
  return out, i + 1 + nf * 5
end
local function add_part(i0)
  local closed = M.closed
  local out, added = {}, 0
  -- Per host: its new entries.
  local news = {}
  local count = tonumber(ARGV[i0])
  for i = 0, count - 1 do
    local fp, h, e = ARGV[i0 + 1 + i * 3], ARGV[i0 + 2 + i * 3], ARGV[i0 + 3 + i * 3]
    local outcome = 0
    if not closed and not news[h] then
      local x = host(h)
      if not x.c then hset(h, 'c', perHost) end
      if not x.d then hset(h, 'd', delay) end
      news[h] = {}
    end
    if closed then
      outcome = 3
    elseif maxHost > 0 and host(h).m + #news[h] >= maxHost then
      if not seen_has(fp) then outcome = 2 end
    elseif seen_add(fp) then
      local q = news[h]
      q[#q + 1] = e
      added = added + 1
      outcome = 1
    end
    out[#out + 1] = outcome
  end
  for h, q in pairs(news) do
    -- 'm' counts admissions only for maxPagesPerHost (a job's settings never change).
    if #q > 0 and maxHost > 0 then hset(h, 'm', host(h).m + #q) end
    push(h, q, false)
    if next(host(h).set) then touch(h) end
  end
  M.queued = M.queued + added
  pend(added)
  stat('added', added)
  return out
end
local function lease_part()
  if n == 0 then return {M.closed and 1 or 0, M.pending, M.queued, NOW, -1}, {} end
  local closed, seq, started = M.closed, M.seq, M.started
  local firstLease, firstDelayed, firstWait = first('lexp'), first('delayed'), first('wait')
  if firstLease and firstLease <= NOW then
    local expired = redis.call('ZRANGEBYSCORE', P .. 'lexp', '-inf', NOW, 'LIMIT', 0, 100)
    local vs = redis.call('HMGET', P .. 'leases', unpack(expired))
    local ts, hs, holds = {}, {}, 0
    for i, t in ipairs(expired) do
      local v = vs[i]
      if v == 'H' then
        holds = holds + 1
      elseif v and string.sub(v, 1, 2) == 'S ' then
        -- A redirect hop's host slot whose process stopped extending it.
        ts[#ts + 1], hs[#hs + 1] = t, string.sub(v, 3)
      elseif v then
        local h, e = split(v)
        ts[#ts + 1], hs[#hs + 1] = t, h
        push(h, {counted(e)}, true)
        M.queued = M.queued + 1
        stat('reclaimed', 1)
      end
    end
    droplease(expired)
    unfly(ts, hs)
    pend(-holds)
    firstLease = first('lexp')
  end
  if firstDelayed and firstDelayed <= NOW then
    local due = redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', NOW, 'LIMIT', 0, 100)
    redis.call('ZREM', P .. 'delayed', unpack(due))
    for _, v in ipairs(due) do
      local h, e = split(v)
      push(h, {e}, false)
    end
    firstDelayed = first('delayed')
  end
  if firstWait and firstWait <= NOW then
    for _, h in ipairs(redis.call('ZRANGEBYSCORE', P .. 'wait', '-inf', NOW, 'LIMIT', 0, 100)) do
      touch(h)
    end
  end
  flush()
  local out = {}
  local taken = 0
  local expiry = int(NOW + leaseMs)
  local lf, lz, ls = {}, {}, {}
  local ready = 0
  if not closed then ready = redis.call('LLEN', P .. 'rr') end
  -- Round-robin over the ready hosts: each rotated to the back, given an even share of what is
  -- left to lease (one if it has a start interval), taken from its queue in one pop.
  while not closed and taken < n and ready > 0 do
    local h = redis.call('LMOVE', P .. 'rr', P .. 'rr', 'LEFT', 'RIGHT')
    if not h then break end
    local x = touch(h)
    x.rotated = true
    local want = math.min(num(x.c, 1) - x.a, math.ceil((n - taken) / ready))
    if num(x.d, 0) > 0 then want = math.min(want, 1) end
    ready = ready - 1
    local es = {}
    if want > 0 and ready_at(x) <= NOW then
      es = redis.call('LPOP', qk(h), want) or {}
      if #es < want then x.qn = 0 else x.qn = nil end
    end
    local got = 0
    for i, e in ipairs(es) do
      if closed then
        -- maxPages was reached by an earlier entry of this pop: the rest go back, in order.
        push(h, {unpack(es, i)}, true)
        break
      end
      seq = seq + 1
      local t = int(seq)
      lf[#lf + 1], lf[#lf + 2] = t, h .. ' ' .. e
      lz[#lz + 1], lz[#lz + 2] = expiry, t
      ls[#ls + 1] = t
      out[#out + 1], out[#out + 2] = t, e
      got = got + 1
      if maxPages > 0 and uncounted(e) then
        started = started + 1
        if started >= maxPages then closed = true end
      end
    end
    if got > 0 then
      hset(h, 'a', x.a + got)
      hset(h, 'l', NOW)
      taken = taken + got
    end
  end
  M.queued, M.seq, M.started, M.closed = M.queued - taken, seq, started, closed
  if taken > 0 then
    redis.call('HSET', P .. 'leases', unpack(lf))
    redis.call('ZADD', P .. 'lexp', unpack(lz))
    redis.call('SADD', P .. 'fly', unpack(ls))
    stat('leased', taken)
    if not firstLease or firstLease > NOW + leaseMs then firstLease = NOW + leaseMs end
  end
  flush()
  if WAITED then firstWait = first('wait') end
  local at = -1
  for _, s in ipairs({firstLease or -1, firstDelayed or -1, firstWait or -1}) do
    if s >= 0 and (at < 0 or s < at) then at = s end
  end
  return {closed and 1 or 0, M.pending, M.queued, NOW, at}, out
end
local finished, i = settle_part(8)
local outcomes = add_part(i)
seen_save()
local head, leases = lease_part()
save()
commit()
head[#head + 1] = #finished
for _, r in ipairs(finished) do head[#head + 1] = r end
head[#head + 1] = #outcomes
for _, r in ipairs(outcomes) do head[#head + 1] = r end
for _, r in ipairs(leases) do head[#head + 1] = r end
return head
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
local leaseMs = tonumber(ARGV[1])
local ts = {unpack(ARGV, 2)}
local lost, live = {}, {}
if #ts == 0 then return lost end
for i, s in ipairs(redis.call('ZMSCORE', P .. 'lexp', unpack(ts))) do
  if s then
    live[#live + 1], live[#live + 2] = NOW + leaseMs, ts[i]
  else
    lost[#lost + 1] = ts[i]
  end
end
if #live > 0 then redis.call('ZADD', P .. 'lexp', unpack(live)) end
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
