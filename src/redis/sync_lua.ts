/**
 * The sync script of a shared crawl job: everything one process sends while
 * its previous call is in flight (releases, finishes, new URLs, a lease
 * request), applied in one call. The keys it works on are listed in
 * `lua.ts`.
 *
 * @module
 */

import { COMMON } from "./lua.ts";
import { SEEN } from "./seen.ts";

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
-- Whether the job ran out of pending work, decided once, in save() at the end of the call: the
-- finishes are settled before the adds, and a page's finish may share a call with its links.
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
