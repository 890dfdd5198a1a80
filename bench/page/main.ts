/**
 * The bench page: every scenario's in-browser half, exposed as `window.bench`
 * for the runner (bench/run.ts). Setup (making events, opening databases) is
 * kept out of the timed parts; each timed part is what an app would await.
 */
import { type AnyEvent, createEvent, type EventKindInput, project } from '../../src/index.js';
import type {
  BenchApi,
  BurstImpl,
  CrossTabImpl,
  Durability,
  Facts,
  HistoryLatencies,
  LatestImpl,
  PrepareReport,
  ReadImpl,
  SequentialImpl,
} from '../protocol.js';
import { benchKey, conversationKinds, mixedEvents, sessionEvents } from './data.js';
import { dexieAddEach, dexieBulkAdd, openDexie, tinybaseBurst } from './peers.js';
import {
  commitOne,
  hasGetAllRecords,
  latestByCursor,
  latestByGetAll,
  openExisting,
  openRaw,
  openRawCommitLayout,
  openRawThreeIndexes,
  putAll,
  putOne,
  request,
  txDone,
  withIndexFields,
} from './raw.js';
import { destroyStore, hasStore, openStore, type Store } from './sessionlog.js';

declare global {
  interface Window {
    bench: BenchApi;
  }
}

const now = () => performance.now();
/** A time comparable between pages of one browser (same clock, µs resolution when isolated). */
const nowAbs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const LARGE_KEY = benchKey(1);
/** Small sessions of scenario 3: benchKey(SMALL_BASE + i). */
const SMALL_BASE = 100;
const SMALL_SESSIONS = 64;
const XTAB_KEY = benchKey(50_000);
const MESSAGE_TYPES = new Set([
  'message_received',
  'message_sent',
  'agent_response',
  'tool_result',
]);

function messageKinds(seed: number, n: number): EventKindInput[] {
  const out: EventKindInput[] = [];
  for (let size = n * 2; out.length < n; size *= 2) {
    out.length = 0;
    for (const k of conversationKinds(seed, size)) {
      if (MESSAGE_TYPES.has(k.type) && out.length < n) out.push(k);
    }
  }
  return out;
}

const burstCache = new Map<number, AnyEvent[]>();
function burstEvents(n: number): AnyEvent[] {
  let events = burstCache.get(n);
  if (!events) {
    events = mixedEvents(n, 20, 7);
    burstCache.set(n, events);
  }
  return events;
}

async function countRecords(name: string, storeName: string): Promise<number> {
  const db = await openExisting(name);
  try {
    if (!db.objectStoreNames.contains(storeName)) return 0;
    return await request(db.transaction(storeName).objectStore(storeName).count());
  } finally {
    db.close();
  }
}

/** Checks, outside the timed part, that a burst really stored its events. */
async function verifyBurst(impl: BurstImpl, name: string, events: readonly AnyEvent[]) {
  if (impl === 'tinybase' || impl === 'tinybase-autosave') {
    const db = await openExisting(name);
    try {
      const stored = await request(db.transaction('m').objectStore('m').get('t'));
      const text = JSON.stringify(stored ?? null);
      if (!events.every((e, i) => i % 97 !== 0 || text.includes(e.id))) {
        throw new Error('tinybase: persisted content lacks events');
      }
    } finally {
      db.close();
    }
    return;
  }
  const count = await countRecords(name, 'events');
  if (count !== events.length) throw new Error(`${impl}: stored ${count} of ${events.length}`);
}

async function burst(args: {
  impl: BurstImpl;
  durability: Durability;
  n: number;
  run: number;
}): Promise<number> {
  const { impl, durability, n, run } = args;
  const events = burstEvents(n);
  const name = `burst-${impl}-${durability}-${run}`;
  await destroyStore(name);
  let ms: number;
  switch (impl) {
    case 'sessionlog':
    case 'sessionlog-no-journal':
    case 'sessionlog-batch': {
      const store = await openStore(name, durability, impl !== 'sessionlog-no-journal');
      const t0 = now();
      if (impl === 'sessionlog-batch') await store.append(events);
      else await Promise.all(events.map((e) => store.append(e)));
      ms = now() - t0;
      checkJournal(store, impl !== 'sessionlog-no-journal');
      await store.close();
      break;
    }
    case 'raw-one-tx-3-indexes': {
      const db = await openRawThreeIndexes(name);
      const t0 = now();
      await putAll(
        db,
        events.map((e) => withIndexFields(e, 1)),
        durability,
      );
      ms = now() - t0;
      db.close();
      break;
    }
    case 'raw-one-tx':
    case 'raw-tx-per-event': {
      const db = await openRaw(name);
      const t0 = now();
      if (impl === 'raw-one-tx') await putAll(db, events, durability);
      else await Promise.all(events.map((e) => putOne(db, e, durability)));
      ms = now() - t0;
      db.close();
      break;
    }
    case 'dexie-bulkAdd':
    case 'dexie-add': {
      const db = await openDexie(name, durability);
      const t0 = now();
      if (impl === 'dexie-bulkAdd') await dexieBulkAdd(db, events);
      else await dexieAddEach(db, events);
      ms = now() - t0;
      db.close();
      break;
    }
    case 'tinybase':
    case 'tinybase-autosave':
      ms = await tinybaseBurst(name, events, durability, impl === 'tinybase');
      break;
  }
  await verifyBurst(impl, name, events);
  await destroyStore(name);
  return ms;
}

/** A row that claims to measure the journal must have had one (a failed worker would silently drop it). */
function checkJournal(store: Store, wanted: boolean) {
  const expected = wanted ? 'on' : 'off';
  if (store.journal !== expected) throw new Error(`journal is ${store.journal}, not ${expected}`);
}

async function sequential(args: {
  impl: SequentialImpl;
  durability: Durability;
  n: number;
  run: number;
}): Promise<number[]> {
  const { impl, durability, n, run } = args;
  const warm = 10;
  const events = sessionEvents(9_000 + run, n + warm);
  const name = `seq-${impl}-${durability}-${run}`;
  await destroyStore(name);
  const latencies: number[] = [];
  if (impl !== 'raw' && impl !== 'raw-commit') {
    const journal =
      impl === 'sessionlog-no-journal'
        ? false
        : impl === 'sessionlog-journal-unflushed'
          ? { flush: 'never' as const }
          : true;
    const store = await openStore(name, durability, journal);
    for (const [i, e] of events.entries()) {
      const t0 = now();
      await store.append(e);
      if (i >= warm) latencies.push(now() - t0);
    }
    checkJournal(store, journal !== false);
    await store.close();
  } else if (impl === 'raw-commit') {
    // The summaries the store would write (setup, not timed).
    let bytes = 0;
    const summaries = events.map((e, i) => {
      const { messages: _m, nodes: _n, head: _h, ...rest } = project(events.slice(0, i + 1));
      bytes += JSON.stringify(e).length;
      const chain = { events: i + 1, last: { timestamp: e.timestamp, id: e.id } };
      return { ...rest, eventCount: i + 1, bytes, chain };
    });
    const db = await openRawCommitLayout(name);
    for (const [i, e] of events.entries()) {
      const t0 = now();
      await commitOne(db, withIndexFields(e, i + 1), summaries[i], i + 1, durability);
      if (i >= warm) latencies.push(now() - t0);
    }
    db.close();
  } else {
    const db = await openRaw(name);
    for (const [i, e] of events.entries()) {
      const t0 = now();
      await putOne(db, e, durability);
      if (i >= warm) latencies.push(now() - t0);
    }
    db.close();
  }
  await destroyStore(name);
  return latencies;
}

const PREPARED = 'bench-prepared';

function prepared(what: string): boolean {
  return localStorage.getItem(`${PREPARED}:${what}`) === 'yes';
}

async function prepareLarge(args: { large: number; small: number }): Promise<PrepareReport> {
  const { large, small } = args;
  const tag = `large-${large}-${small}`;
  if (prepared(tag)) return { ms: 0, events: 0, sessions: 0 };
  const t0 = now();
  await destroyStore('sl-large');
  await destroyStore('raw-large');
  const store = await openStore('sl-large', 'relaxed');
  const db = await openRaw('raw-large');
  const chunk = 2_000;
  const kinds = conversationKinds(1, large);
  for (let i = 0; i < kinds.length; i += chunk) {
    const events = kinds
      .slice(i, i + chunk)
      .map((kind) => createEvent(LARGE_KEY, 'assistant', kind));
    await store.append(events);
    await putAll(db, events, 'relaxed');
  }
  // Small sessions: each historyLatency call appends to its own, so every one starts at `small`.
  for (let i = 0; i < SMALL_SESSIONS; i++) {
    const smallEvents = sessionEvents(SMALL_BASE + i, small);
    await store.append(smallEvents);
    await putAll(db, smallEvents, 'relaxed');
  }
  // The large session's summary, for the row that reads it with the page.
  await putAll(db, [(await store.getSummary(LARGE_KEY))!], 'relaxed', 'sessions');
  await store.close();
  db.close();
  localStorage.setItem(`${PREPARED}:${tag}`, 'yes');
  return { ms: now() - t0, events: large + small * SMALL_SESSIONS, sessions: 1 + SMALL_SESSIONS };
}

async function historyLatency(args: {
  durability: Durability;
  n: number;
  order: 'small-first' | 'large-first';
  small: number;
}): Promise<HistoryLatencies> {
  const { durability, n, order } = args;
  if (args.small >= SMALL_SESSIONS) throw new Error(`only ${SMALL_SESSIONS} small sessions`);
  const smallKey = benchKey(SMALL_BASE + args.small);
  const warm = 5;
  const smallKinds = messageKinds(Math.floor(Math.random() * 1e9), n + warm);
  const largeKinds = messageKinds(Math.floor(Math.random() * 1e9), n + warm);
  const store = await openStore('sl-large', durability);
  const out: HistoryLatencies = { small: [], large: [] };
  const sides: Array<'small' | 'large'> =
    order === 'small-first' ? ['small', 'large'] : ['large', 'small'];
  for (let i = 0; i < n + warm; i++) {
    for (const side of sides) {
      const key = side === 'small' ? smallKey : LARGE_KEY;
      const kind = (side === 'small' ? smallKinds : largeKinds)[i]!;
      const event = createEvent(key, 'assistant', kind);
      const t0 = now();
      await store.append(event);
      if (i >= warm) out[side].push(now() - t0);
    }
  }
  await store.close();
  return out;
}

async function latestPage(args: { impl: LatestImpl; n: number }): Promise<number[]> {
  const { impl, n } = args;
  const out: number[] = [];
  if (impl === 'sessionlog') {
    const store = await openStore('sl-large');
    for (let i = 0; i <= n; i++) {
      const t0 = now();
      const page = await store.getMessages(LARGE_KEY, { limit: 50 });
      const ms = now() - t0;
      if (page.messages.length !== 50) throw new Error(`sessionlog: ${page.messages.length}`);
      if (i > 0) out.push(ms);
    }
    await store.close();
    return out;
  }
  const db = await openExisting('raw-large');
  for (let i = 0; i <= n; i++) {
    const t0 = now();
    if (impl === 'raw-summary-getAll') {
      // What sessionlog's page costs the browser: the summary and the page in one transaction.
      const tx = db.transaction(['sessions', 'events'], 'readonly');
      const [summary, page] = await Promise.all([
        request(tx.objectStore('sessions').get(LARGE_KEY)),
        latestByGetAll(tx.objectStore('events').index('session'), LARGE_KEY, 51),
      ]);
      const ms = now() - t0;
      if (!summary || page.length !== 51) throw new Error(`${impl}: ${page.length}`);
      if (i > 0) out.push(ms);
      continue;
    }
    const tx = db.transaction('events', 'readonly');
    const index = tx.objectStore('events').index('session');
    const page =
      impl === 'raw-getAll'
        ? await latestByGetAll(index, LARGE_KEY, 50)
        : await latestByCursor(index, LARGE_KEY, 50);
    const ms = now() - t0;
    if (page.length !== 50) throw new Error(`${impl}: ${page.length}`);
    if (i > 0) out.push(ms);
  }
  db.close();
  return out;
}

async function prepareSessions(args: {
  sessions: number;
  eventsPerSession: number;
}): Promise<PrepareReport> {
  const { sessions, eventsPerSession } = args;
  const tag = `sessions-${sessions}-${eventsPerSession}`;
  if (prepared(tag)) return { ms: 0, events: 0, sessions: 0 };
  const t0 = now();
  await destroyStore('sl-sessions');
  await destroyStore('raw-sessions');
  const store = await openStore('sl-sessions', 'relaxed');
  const db = await openRaw('raw-sessions');
  const perBatch = 50;
  for (let s = 0; s < sessions; s += perBatch) {
    const events: AnyEvent[] = [];
    for (let i = s; i < Math.min(sessions, s + perBatch); i++) {
      events.push(...sessionEvents(10_000 + i, eventsPerSession));
    }
    await store.append(events);
    await putAll(db, events, 'relaxed');
  }
  // The raw side stores the very summaries sessionlog keeps, so both read the same bytes.
  const summaries = await store.listSummaries();
  if (summaries.length !== sessions) throw new Error(`sessionlog: ${summaries.length} summaries`);
  await putAll(db, summaries, 'relaxed', 'sessions');
  await store.close();
  db.close();
  localStorage.setItem(`${PREPARED}:${tag}`, 'yes');
  return { ms: now() - t0, events: sessions * eventsPerSession, sessions };
}

async function coldOpen(args: {
  impl: ReadImpl;
}): Promise<{ ms: number; summaries: number; page: number }> {
  if (args.impl !== 'raw') {
    const t0 = now();
    const store = await openStore('sl-sessions', undefined, args.impl === 'sessionlog');
    const summaries = await store.listSummaries();
    const page = await store.getMessages(summaries[0]!.sessionKey, { limit: 50 });
    const ms = now() - t0;
    checkJournal(store, args.impl === 'sessionlog');
    await store.close();
    return { ms, summaries: summaries.length, page: page.messages.length };
  }
  const t0 = now();
  const db = await openExisting('raw-sessions');
  const tx = db.transaction(['sessions', 'events'], 'readonly');
  const summaries = (await request(tx.objectStore('sessions').getAll())) as Array<{
    sessionKey: string;
    lastActivity: string | null;
  }>;
  // Most recent first, as a sidebar shows them (and as listSummaries returns them).
  summaries.sort((a, b) => ((b.lastActivity ?? '') < (a.lastActivity ?? '') ? -1 : 1));
  const first = summaries[0]!;
  const page = await latestByGetAll(
    tx.objectStore('events').index('session'),
    first.sessionKey,
    50,
  );
  const ms = now() - t0;
  db.close();
  return { ms, summaries: summaries.length, page: page.length };
}

// Scenario 6: page B listens, page A sends and waits for B's acknowledgement
// (B stamps the time it was notified; the ack's own trip is not counted).
interface Ack {
  id: string;
  t: number;
}
let xtab: { close: () => Promise<void> | void } | null = null;

async function crossTabListen(args: { impl: CrossTabImpl; run: number }): Promise<void> {
  await crossTabStop();
  const ack = new BroadcastChannel('bench-ack');
  if (args.impl === 'sessionlog') {
    const store = await openStore('sl-xtab');
    const seen = new Set<string>();
    const unsubscribe = store.subscribe(XTAB_KEY, (projection) => {
      const t = nowAbs();
      const last = projection.messages[projection.messages.length - 1];
      if (last && !seen.has(last.id)) {
        seen.add(last.id);
        ack.postMessage({ id: last.id, t } satisfies Ack);
      }
    });
    xtab = {
      close: async () => {
        unsubscribe();
        await store.close();
        ack.close();
      },
    };
    return;
  }
  const ping = new BroadcastChannel('bench-ping');
  ping.onmessage = (ev: MessageEvent<{ id: string }>) => {
    const t = nowAbs();
    ack.postMessage({ id: ev.data.id, t } satisfies Ack);
  };
  xtab = {
    close: () => {
      ping.close();
      ack.close();
    },
  };
}

async function crossTabSend(args: {
  impl: CrossTabImpl;
  n: number;
  run: number;
}): Promise<number[]> {
  const { impl, n, run } = args;
  const warm = 5;
  const ack = new BroadcastChannel('bench-ack');
  const waiting = new Map<string, (t: number) => void>();
  ack.onmessage = (ev: MessageEvent<Ack>) => waiting.get(ev.data.id)?.(ev.data.t);
  const waitAck = (id: string) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${impl}: no notification in B`)), 5_000);
      waiting.set(id, (t) => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(t);
      });
    });
  const out: number[] = [];
  const kinds = messageKinds(run * 7 + 3, n + warm);
  let store: Store | null = null;
  let db: IDBDatabase | null = null;
  const ping = new BroadcastChannel('bench-ping');
  try {
    if (impl === 'sessionlog') store = await openStore('sl-xtab');
    if (impl === 'raw-commit-ping') db = await openRaw('raw-xtab');
    for (let i = 0; i < n + warm; i++) {
      const event = createEvent(XTAB_KEY, 'assistant', kinds[i]!);
      const acked = waitAck(event.id);
      const t0 = nowAbs();
      if (store) {
        void store.append(event);
      } else if (db) {
        const tx = db.transaction('events', 'readwrite');
        tx.objectStore('events').put(event);
        void txDone(tx).then(() => ping.postMessage({ id: event.id }));
      } else {
        ping.postMessage({ id: event.id });
      }
      const t = await acked;
      if (i >= warm) out.push(t - t0);
      await sleep(5);
    }
  } finally {
    await store?.close();
    db?.close();
    ping.close();
    ack.close();
  }
  return out;
}

async function crossTabStop(): Promise<void> {
  await xtab?.close();
  xtab = null;
}

function facts(): Facts {
  const sample = mixedEvents(2_000, 20, 3);
  const kindMix: Record<string, number> = {};
  let bytes = 0;
  for (const e of sample) {
    bytes += new TextEncoder().encode(JSON.stringify(e)).length;
    kindMix[e.kind.type] = (kindMix[e.kind.type] ?? 0) + 1 / sample.length;
  }
  return {
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    getAllRecords: hasGetAllRecords,
    meanEventBytes: Math.round(bytes / sample.length),
    kindMix,
    hasStore,
  };
}

const SUBSCRIBED_BASE = 60_000;

/** Scenario 8: one database per size, holding one session of `size` messages (once). */
async function prepareSubscribed(args: { sizes: number[] }): Promise<PrepareReport> {
  const t0 = now();
  let events = 0;
  for (const size of args.sizes) {
    const tag = `subscribed-${size}`;
    if (prepared(tag)) continue;
    const name = `sl-subscribed-${size}`;
    await destroyStore(name);
    const store = await openStore(name, 'relaxed');
    const key = benchKey(SUBSCRIBED_BASE + size);
    const kinds = messageKinds(size, size);
    for (let i = 0; i < kinds.length; i += 2_000) {
      await store.append(
        kinds.slice(i, i + 2_000).map((kind) => createEvent(key, 'assistant', kind)),
      );
    }
    await store.close();
    events += size;
    localStorage.setItem(`${PREPARED}:${tag}`, 'yes');
  }
  return { ms: now() - t0, events, sessions: events ? args.sizes.length : 0 };
}

/**
 * Scenario 8: `n` sequential appends to a session of `size` messages that this
 * page subscribes to; each latency runs from the append to the subscriber
 * receiving the projection with the new event (the live update included).
 */
async function subscribedAppend(args: { size: number; n: number; run: number }): Promise<number[]> {
  const { size, n, run } = args;
  const warm = 5;
  const key = benchKey(SUBSCRIBED_BASE + size);
  const store = await openStore(`sl-subscribed-${size}`, 'relaxed');
  let waiting: { id: string; done: () => void } | undefined;
  const unsubscribe = store.subscribe(key, (p) => {
    if (waiting && p.lastEventId === waiting.id) waiting.done();
  });
  while (store.getSnapshot(key) === undefined) await sleep(5);
  const kinds = messageKinds(run * 13 + size, n + warm);
  const out: number[] = [];
  for (const [i, kind] of kinds.entries()) {
    const event = createEvent(key, 'assistant', kind);
    const t0 = now();
    await new Promise<void>((done) => {
      waiting = { id: event.id, done };
      void store.append(event);
    });
    if (i >= warm) out.push(now() - t0);
  }
  unsubscribe();
  await store.close();
  return out;
}

window.bench = {
  facts,
  prepareSubscribed,
  subscribedAppend,
  burst,
  sequential,
  prepareLarge,
  historyLatency,
  latestPage,
  prepareSessions,
  coldOpen,
  crossTabListen,
  crossTabSend,
  crossTabStop,
};
document.title = 'sessionlog bench: ready';
