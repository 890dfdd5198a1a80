/**
 * Tab sync: posts what this store committed to the other tabs, in the
 * envelope that names this database, and takes what they announce as a hint
 * to catch up from the log. A message the log contradicts is counted as
 * ignored; a forged one can neither add nor remove anything.
 */
import type { TombstoneRecord } from '../schema.js';
import {
  type ChannelStats,
  type CommitMessage,
  type DeleteMessage,
  type DraftMessage,
  MAX_EVENTS_PER_MESSAGE,
  PROTOCOL_VERSION,
  parseTabMessage,
  TabChannel,
  type TabMessage,
} from '../tab-channel.js';
import type { LogRead, ReadHint } from './log.js';
import type { Committed } from './transactions.js';

/** What tab sync needs from the rest of the store. */
export interface TabSyncHost {
  /** This store instance's replica id: the sender of its messages. */
  origin: string;
  /** The database's instance token: messages must carry it. */
  instance: string;
  /** The commit sequence the live state is at. */
  seq(): number;
  /** Runs a live-state change in order after the ones before it. */
  schedule(job: () => Promise<void>): void;
  /**
   * Reads and applies what was committed since the live state's sequence;
   * `hint`: what the message announced (it speeds the read, nothing more).
   */
  catchUp(hint: ReadHint): Promise<LogRead | undefined>;
  /** A draft's live text from another tab. */
  receiveDraft(message: DraftMessage): void;
}

/** A tab message without its envelope (version, database token, sender), which `#post` adds. */
type Posted = WithoutEnvelope<TabMessage>;
type WithoutEnvelope<M> = M extends TabMessage ? Omit<M, 'v' | 'db' | 'from'> : never;

/** The store's side of the tab channel. */
export class TabSync {
  readonly #host: TabSyncHost;
  readonly #channel: TabChannel;

  /** @param name the database name: one channel per database */
  constructor(name: string, host: TabSyncHost) {
    this.#host = host;
    this.#channel = new TabChannel(
      `sessionlog:${name}`,
      (data) => parseTabMessage(data, host.instance),
      (message) => this.#receive(message),
    );
  }

  /** Messages seen, and how many were ignored as invalid or forged. */
  get stats(): ChannelStats {
    return { ...this.#channel.stats };
  }

  /** Announces a commit (with its events, unless there are too many to post). */
  postCommit(commit: Committed): void {
    const { seq, events } = commit;
    this.#post({
      type: 'commit',
      seq,
      ...(events.length <= MAX_EVENTS_PER_MESSAGE ? { events } : {}),
    });
  }

  /** Announces a deletion. */
  postDelete(tombstone: TombstoneRecord): void {
    this.#post({ type: 'delete', ...tombstone });
  }

  /** Posts a draft's live text. */
  postDraft(draft: DraftMessage['draft']): void {
    this.#post({ type: 'draft', draft });
  }

  #post(message: Posted): void {
    this.#channel.post({
      v: PROTOCOL_VERSION,
      db: this.#host.instance,
      from: this.#host.origin,
      ...message,
    } as TabMessage);
  }

  #receive(message: TabMessage): void {
    if (message.from === this.#host.origin) {
      // A channel never delivers a store's own posts back to it: this one is forged.
      this.#channel.ignore("sent in this store's name");
    } else if (message.type === 'draft') this.#host.receiveDraft(message);
    else this.#host.schedule(() => this.#applyRemote(message));
  }

  /**
   * A commit or deletion announced by another tab. The message is a hint, not
   * the data: what it announces is read from the log, with anything missed
   * before it, so a forged message can neither add nor remove anything nor
   * take the sequence number of a real commit.
   */
  async #applyRemote(message: CommitMessage | DeleteMessage): Promise<void> {
    if (message.seq <= this.#host.seq()) return; // already read from the log
    const read = await this.#host.catchUp(hintOf(message));
    const reason = read && contradiction(message, read);
    if (reason) this.#channel.ignore(reason);
  }

  /** Stops listening and releases the channel. */
  close(): void {
    this.#channel.close();
  }
}

/** What a message announces, as a hint for the read: where to look first, never what is applied. */
function hintOf(message: CommitMessage | DeleteMessage): ReadHint {
  if (message.type === 'delete') return { sessions: [message.sessionKey] };
  return { sessions: new Set(message.events?.map((e) => e.session_key)) };
}

/** Why the log contradicts a message announcing a commit or deletion, if it does. */
function contradiction(message: CommitMessage | DeleteMessage, read: LogRead): string | undefined {
  const { seq } = message;
  if (seq > read.meta.seq) return `${message.type} ${seq} is not in the log (at ${read.meta.seq})`;
  // Sessions deleted after `seq`: their events of `seq` are gone from the log, legitimately.
  const deletedLater = new Set(read.tombstones.filter((t) => t.seq > seq).map((t) => t.sessionKey));
  if (message.type === 'delete') {
    const deleted = read.tombstones.some(
      (t) => t.sessionKey === message.sessionKey && t.seq >= seq,
    );
    return deleted ? undefined : `delete ${seq} is not in the log`;
  }
  if (!message.events) return undefined; // a large commit announced without its events
  const stored = new Set(read.records.filter((r) => r.seq === seq).map((r) => r.id));
  const forged = message.events.some((e) => !stored.has(e.id) && !deletedLater.has(e.session_key));
  return forged ? `commit ${seq} does not match the log` : undefined;
}
