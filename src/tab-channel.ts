/**
 * The tab channel (docs/design.md §7, docs/tabs.md): after a transaction completes,
 * the writing store posts what it committed; other tabs of the origin read it
 * from the log at once. A message is only a hint (IndexedDB is the truth, and
 * a tab that missed one catches up from the log), so anything that does not
 * validate is dropped and counted, never thrown.
 */
import type { AnyEvent } from './event.js';
import { EVENT_ID_PATTERN } from './ids.js';
import { checkWellFormed, isObject } from './json.js';
import { normalizeTimestamp } from './timestamp.js';

/** Version of the message format; messages of another version are ignored. */
export const PROTOCOL_VERSION = 1;
/** Most events one message may carry (a larger commit is announced without them and read from the log). */
export const MAX_EVENTS_PER_MESSAGE = 5000;

interface Envelope {
  v: typeof PROTOCOL_VERSION;
  /** The database instance token from `meta`: code that is not this store does not know it. */
  db: string;
  /** The store instance that posted. */
  from: string;
}

/**
 * Events committed at `seq`; `events` is omitted when there were too many to
 * post. The writer posts whole events; a receiver checks only what it uses,
 * their ids and session keys, against the log (see {@link parseTabMessage}).
 */
export interface CommitMessage extends Envelope {
  type: 'commit';
  seq: number;
  events?: AnnouncedEvent[];
}

/** What a receiver reads of a posted event: the log is read for the rest. */
export type AnnouncedEvent = Pick<AnyEvent, 'id' | 'session_key'>;

/** A session deleted at `seq`. */
export interface DeleteMessage extends Envelope {
  type: 'delete';
  seq: number;
  sessionKey: string;
  timestamp: string;
}

/** The live text of a streaming reply (not stored as an event until it is done). */
export interface DraftMessage extends Envelope {
  type: 'draft';
  draft: {
    id: string;
    sessionKey: string;
    agentId: string;
    model: string;
    text: string;
    /** Reasoning text so far; absent from earlier releases' messages. */
    reasoning?: string;
    startedAt: number;
    /** Where the reply will hang in the tree (`parent_id` of its event), when the writer said. */
    parentId?: string | null;
    /** `streaming`, or how it ended: committed as an event, aborted, or gone with its writer. */
    status: 'streaming' | 'done' | 'aborted';
  };
}

/** Any valid message on the channel. */
export type TabMessage = CommitMessage | DeleteMessage | DraftMessage;

/** What the channel has seen: a developer's view of foreign or broken traffic. */
export interface ChannelStats {
  received: number;
  ignored: number;
  /** Why the last ignored message was ignored. */
  lastIgnored: string | null;
}

const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isText = (v: unknown, max = 1 << 20): v is string => typeof v === 'string' && v.length <= max;
const isEventId = (v: unknown): v is string => typeof v === 'string' && EVENT_ID_PATTERN.test(v);

/** Validates one received message; returns it typed, or the reason it is ignored. */
export function parseTabMessage(data: unknown, instance: string): TabMessage | string {
  if (!isObject(data)) return 'not an object';
  if (data.v !== PROTOCOL_VERSION)
    return `protocol version ${String(data.v)} is not ${PROTOCOL_VERSION}`;
  if (data.db !== instance) return 'wrong database instance';
  if (!isText(data.from, 64)) return 'bad sender';
  const envelope = { v: PROTOCOL_VERSION, db: instance, from: data.from } as const;
  try {
    switch (data.type) {
      case 'commit': {
        if (!isSeq(data.seq)) return 'bad seq';
        if (data.events === undefined) return { ...envelope, type: 'commit', seq: data.seq };
        if (!Array.isArray(data.events) || data.events.length === 0) return 'bad events';
        if (data.events.length > MAX_EVENTS_PER_MESSAGE) return 'too many events';
        // Not parsed (nor hashed): a receiver compares ids with the log, which it reads anyway.
        const events: AnnouncedEvent[] = [];
        for (const e of data.events) {
          if (!isObject(e) || !isEventId(e.id) || !isText(e.session_key) || e.session_key === '')
            return 'bad event';
          events.push({ id: e.id, session_key: e.session_key });
        }
        return { ...envelope, type: 'commit', seq: data.seq, events };
      }
      case 'delete': {
        if (!isSeq(data.seq) || !isText(data.sessionKey) || data.sessionKey === '')
          return 'bad delete';
        return {
          ...envelope,
          type: 'delete',
          seq: data.seq,
          sessionKey: data.sessionKey,
          timestamp: normalizeTimestamp(data.timestamp),
        };
      }
      case 'draft': {
        const d = data.draft;
        if (!isObject(d)) return 'bad draft';
        const { id, sessionKey, agentId, model, text, reasoning, startedAt, status, parentId } = d;
        if (
          !isText(id, 64) ||
          !isText(sessionKey) ||
          !isText(agentId) ||
          !isText(model) ||
          !isText(text) ||
          !isText(reasoning ?? '')
        ) {
          return 'bad draft fields';
        }
        if (typeof startedAt !== 'number' || !Number.isFinite(startedAt)) return 'bad draft start';
        if (status !== 'streaming' && status !== 'done' && status !== 'aborted')
          return 'bad draft status';
        if (parentId !== undefined && parentId !== null && !isText(parentId, 64))
          return 'bad draft parent';
        checkWellFormed(text, 'draft.text');
        checkWellFormed((reasoning as string | undefined) ?? '', 'draft.reasoning');
        const draft: DraftMessage['draft'] = {
          id,
          sessionKey,
          agentId,
          model,
          text,
          startedAt,
          status,
          reasoning: reasoning as string | undefined,
        };
        return {
          ...envelope,
          type: 'draft',
          draft: parentId === undefined ? draft : { ...draft, parentId },
        };
      }
      default:
        return `unknown message type ${String(data.type).slice(0, 32)}`;
    }
  } catch (error) {
    return `invalid: ${(error as Error).message?.slice(0, 200)}`;
  }
}

/** A BroadcastChannel that validates what it receives. */
export class TabChannel {
  readonly stats: ChannelStats = { received: 0, ignored: 0, lastIgnored: null };
  readonly #channel: BroadcastChannel;

  /**
   * @param name channel name (one per database)
   * @param validate turns raw data into a message or a reason to ignore it
   * @param deliver receives valid messages only
   */
  constructor(
    name: string,
    validate: (data: unknown) => TabMessage | string,
    deliver: (message: TabMessage) => void,
  ) {
    this.#channel = new BroadcastChannel(name);
    this.#channel.onmessage = (event: MessageEvent) => {
      this.stats.received++;
      const result = validate(event.data);
      if (typeof result === 'string') this.ignore(result);
      else deliver(result);
    };
    this.#channel.onmessageerror = () => this.ignore('message could not be deserialized');
  }

  /** Counts a message as ignored: invalid here, or found forged by the store. */
  ignore(reason: string): void {
    this.stats.ignored++;
    this.stats.lastIgnored = reason;
  }

  /** Posts a message to the other tabs (never to this one). */
  post(message: TabMessage): void {
    try {
      this.#channel.postMessage(message);
    } catch {
      // A closed or overloaded channel only costs the fast path: other tabs catch up from the log.
    }
  }

  /** Stops listening and releases the channel. */
  close(): void {
    this.#channel.onmessage = null;
    this.#channel.close();
  }
}
