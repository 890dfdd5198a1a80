/**
 * The journal (DESIGN §10): a second copy of every acknowledged event outside
 * IndexedDB, in the Origin Private File System, so that a database Chromium
 * deleted after a crash can be restored.
 *
 * Each writing store owns one segment file (held by a Web Lock) and appends
 * one frame per group commit through the page's journal worker, concurrently
 * with the IndexedDB transaction; a refused transaction is journaled as such
 * before its callers hear of it, and deletions are journaled as tombstones.
 * A store loads this module only when its journal has something to restore
 * (src/journal/probe.ts tells, from file sizes and the database's watermarks)
 * or at its first write: the segments to restore from are read from their
 * watermarks, and whatever the database lacks is handed back to the store to
 * replay.
 */
import { type DecodedFrame, decodeFrames, encodeFrame, openFrame } from './frame.js';
import { planInPlace } from './in-place.js';
import { type DeadSegment, type JournalProbe, releaseDead } from './probe.js';
import {
  addTombstones,
  commitBatches,
  compactedRecords,
  contentsOf,
  type JournalContents,
  type JournalRecord,
} from './records.js';
import { grownSize, growSoon, RESERVE } from './reserve.js';
import {
  directory,
  journalPath,
  listSegments,
  readFrom,
  type SegmentFile,
  segmentFile,
  segmentLock,
  takeFreeLocks,
} from './segments.js';
import { journalWorker, type WorkerClient } from './worker-client.js';

/**
 * Whether a store keeps a journal: `on`; `off` (turned off with `journal:
 * false`); `unavailable` (no OPFS, Web Locks or workers here: the store works
 * as without one); `failed` (a journal write failed; the store goes on without).
 */
export type JournalStatus = 'on' | 'off' | 'unavailable' | 'failed';

/** How far the database is known to hold a segment: the last frame committed in both. */
export interface Watermark {
  file: string;
  /** Offset of that frame. */
  at: number;
  /** Offset just after it. */
  end: number;
  /** The commit sequence of its transaction. */
  seq?: number;
}

/** What a store opening on a journal restored from it. */
export interface RestoreReport {
  /** Events the database lacked, now stored again. */
  events: number;
  /** Session deletions the database lacked, now applied again. */
  deletions: number;
  /** Damaged journal records skipped (each also reported as `corrupt`). */
  damaged: number;
  /** Whether the database had been reset (deleted and made anew) rather than merely behind. */
  reset: boolean;
}

/** What the journal needs from its store. */
export interface JournalHost {
  /** Database name. */
  name: string;
  /** The watermarks stored in the database, per segment number. */
  watermarks: Readonly<Record<string, Watermark>>;
  /** Applies deletions (session key → timestamp) the database lacks; resolves to how many it applied. */
  restoreDeletions(tombstones: ReadonlyMap<string, string>): Promise<number>;
  /** Stores events the database lacks, without journaling them again; resolves to how many were added. */
  restoreEvents(events: readonly unknown[]): Promise<number>;
  /** The events the database stored in commit `seq` (to journal again a frame the journal lost). */
  readCommit(seq: number): Promise<unknown[]>;
  /** Records new watermarks in the database. */
  saveWatermarks(marks: Record<string, Watermark>): Promise<void>;
  /** Reports a damaged journal record. */
  reportDamaged(file: string, at: number, reason: string): void;
}

/** A commit's journal write, begun before its IndexedDB transaction. */
export interface JournalTicket {
  /** What to store in the database with the commit, when known now. */
  segment: string;
  watermark: Watermark | undefined;
  /**
   * Hands the frame to the worker, once (the committer calls it just after
   * its transaction's requests went out, so the browser starts on those first).
   */
  send(): void;
  /** Resolves once the frame is written (flushed in strict mode); sends it if not sent yet. */
  readonly written: Promise<void>;
  /** Journals that the transaction was refused; resolves once written. */
  refuse(): Promise<void>;
  /** The transaction completed. */
  done(): void;
}

/** What {@link Journal.verify} found. */
export interface JournalCheck {
  /** Journal files read. */
  files: number;
  /** Good records. */
  records: number;
  /** Damaged records (each reported as `corrupt`). */
  damaged: number;
}

/** Events replayed per transaction when restoring. */
const RESTORE_BATCH = 2000;

/** A store's journal. Open with {@link Journal.open}. */
export class Journal {
  readonly #host: JournalHost;
  readonly #dir: readonly string[];
  readonly #worker: WorkerClient;
  readonly #segment: number;
  readonly #release: () => void;
  #file: string;
  #gen: number;
  /** Where the next frame goes: the end of the last one. */
  #end: number;
  /** The file's size: frames, then zeros (src/journal/reserve.ts). */
  #size = 0;
  readonly #inflight = new Set<Promise<void>>();
  /** Frames reserved or handed to the worker, and not answered yet. */
  #writing = 0;
  /** Sends of commit frames reserved and not handed to the worker yet (see `JournalTicket.send`). */
  readonly #unsent = new Map<() => Promise<void>, number>();
  #compacting: Promise<void> | undefined;
  #growing: Promise<void> = Promise.resolve();
  /** A compaction was refused for quota: run one once the file could grow again. */
  #compactLater = false;
  #closed = false;

  private constructor(
    host: JournalHost,
    worker: WorkerClient,
    own: { segment: number; gen: number; end: number; release: () => void },
  ) {
    this.#host = host;
    this.#dir = journalPath(host.name);
    this.#worker = worker;
    this.#segment = own.segment;
    this.#gen = own.gen;
    this.#file = segmentFile(own.segment, own.gen);
    this.#end = own.end;
    this.#release = own.release;
  }

  /**
   * Opens the journal of `host.name` as `probe` found it: restores into the
   * database what the segments of `behind` hold and the database lacks, then
   * takes the probe's own segment to write (the other dead ones are let go).
   */
  static async open(
    host: JournalHost,
    probe: JournalProbe,
    behind: readonly DeadSegment[],
    options: { reset: boolean },
  ): Promise<{ journal: Journal; restored?: RestoreReport }> {
    const { own } = probe;
    try {
      const dir = behind.length > 0 ? await directory(journalPath(host.name), false) : undefined;
      const { report: restored, lost } = dir
        ? await restore(host, dir, behind, options.reset)
        : { report: undefined, lost: [] };
      releaseDead(probe, own);
      const gen = own.files[own.files.length - 1]?.gen ?? 0;
      const journal = new Journal(host, journalWorker(), { ...own, gen });
      await journal.#start(own);
      for (const seq of lost) {
        const events = await host.readCommit(seq);
        if (events.length === 0) continue;
        const ticket = await journal.commit(events, false);
        await ticket.written;
        ticket.done();
      }
      return { journal, ...(restored ? { restored } : {}) };
    } catch (error) {
      releaseDead(probe, undefined);
      throw error;
    }
  }

  /** Opens the segment's file in the worker, cutting a torn tail or merging leftover generations. */
  async #start(own: DeadSegment): Promise<void> {
    const last = own.files[own.files.length - 1];
    if (own.files.length > 1) {
      // Two generations: a compaction was interrupted. Merge both into a new one.
      const dir = (await directory(this.#dir, true))!;
      const frames: DecodedFrame<unknown>[][] = [];
      for (const { file } of own.files)
        frames.push(decodeFrames((await readFrom(dir, file, 0)).bytes).frames);
      await this.#replace(
        contentsOf(frames),
        own.files.map((f) => f.file),
      );
      return;
    }
    // Not awaited: the worker runs requests in order, so the first write waits
    // for it, and the size is known from the read on open (opening a store
    // does not wait for the worker to start). A failure surfaces with that write.
    const file = { dir: this.#dir, file: this.#file };
    this.#worker.send({ op: 'open', ...file }).catch(() => {});
    this.#end = last ? Math.min(own.size, own.end) : 0;
    this.#size = last ? own.size : 0;
    // Past the last frame: zeros, or a frame a crash tore. Zeroed in place (a
    // truncation would give up the room kept there, see src/journal/reserve.ts).
    if (!own.clean && this.#size > this.#end) {
      const bytes = new Uint8Array(this.#size - this.#end).buffer;
      this.#worker
        .send({ op: 'write', ...file, at: this.#end, bytes, flush: false, seal: false }, [bytes])
        .catch(() => {});
    }
  }

  /** Which segment this store writes (its key in the database's watermarks). */
  get segment(): string {
    return String(this.#segment);
  }

  /**
   * Begins journaling a group commit's events; the frame's write runs while
   * the caller's transaction does. When the file has no room for the frame
   * and the reserve behind it (or a compaction is under way), a promise: the
   * file grows first, and a growth refused for quota rejects it
   * (`QuotaExceededError`) with nothing written, so the transaction need not run.
   */
  commit(events: readonly unknown[], strict: boolean): JournalTicket | Promise<JournalTicket> {
    const frame = openFrame({ c: events } satisfies JournalRecord);
    const needed = () => this.#end + frame.length + RESERVE;
    if (!this.#compacting && needed() <= this.#size) return this.#ticket(frame, strict);
    return (async () => {
      // Not in flight while waiting: a compaction waits for the commits in flight.
      while (this.#compacting) await this.#compacting.catch(() => {});
      const finish = this.#track();
      try {
        await this.#grow(needed());
      } catch (error) {
        finish();
        throw error;
      }
      return this.#ticket(frame, strict, finish);
    })();
  }

  /** Counts a commit in flight (a compaction waits for it) until the returned function is called. */
  #track(): () => void {
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.#inflight.add(settled);
    return () => {
      this.#inflight.delete(settled);
      settle();
    };
  }

  /**
   * Takes the room for a commit's frame at the end (the file has it) and hands
   * out its ticket; the frame goes to the worker when the ticket is sent.
   */
  #ticket(frame: Uint8Array, strict: boolean, finish = this.#track()): JournalTicket {
    const at = this.#reserve(frame.length);
    let written: Promise<void> | undefined;
    const send = () => {
      if (written) return written;
      this.#unsent.delete(send);
      written = this.#post(frame, at, strict);
      written.catch(() => {});
      const soon = growSoon(this.#size, this.#end);
      if (soon !== undefined) this.#grow(soon).catch(() => {});
      return written;
    };
    this.#unsent.set(send, at);
    return {
      segment: this.segment,
      watermark: { file: this.#file, at, end: at + frame.length },
      send,
      get written() {
        return send();
      },
      refuse: async () => {
        try {
          // A frame that was not written needs no refusal (its offset is reused).
          const wrote = await send().then(
            () => true,
            () => false,
          );
          if (wrote) await this.#write(openFrame({ r: at } satisfies JournalRecord), strict);
        } finally {
          finish();
        }
      },
      done: finish,
    };
  }

  /**
   * Journals a session's deletion (then `announce`s it, for the other writing
   * stores to drop the session too), and drops the session's earlier records
   * from this store's segment and from the segments whose writers are gone.
   */
  async deleted(
    sessionKey: string,
    timestamp: string,
    strict: boolean,
    announce: () => void,
  ): Promise<void> {
    await this.#compacting;
    const record = { d: sessionKey, ts: timestamp } satisfies JournalRecord;
    await this.#write(openFrame(record), strict);
    announce();
    const tombstones = new Map([[sessionKey, timestamp]]);
    try {
      await this.compact(tombstones);
      await compactDead(
        this.#host.name,
        this.#worker,
        this.#segment,
        tombstones,
        this.#host.reportDamaged,
      );
    } catch (error) {
      // A full quota leaves no room for the compacted copy: the segments keep the
      // session's records until a later compaction (once the file can grow again);
      // the tombstone keeps them from being restored.
      if ((error as { name?: string } | null)?.name !== 'QuotaExceededError') throw error;
      this.#compactLater = true;
    }
  }

  /**
   * Rewrites this store's segment without refused commits and without the
   * events of deleted sessions (those it records, and `tombstones`).
   */
  compact(tombstones: ReadonlyMap<string, string> = new Map()): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const run = async () => {
      await Promise.all(this.#inflight);
      await this.#growing.catch(() => {});
      const bytes = new Uint8Array(
        await this.#worker.send<ArrayBuffer>({
          op: 'read',
          dir: this.#dir,
          file: this.#file,
          from: 0,
        }),
      );
      const decoded = decodeFrames(bytes);
      for (const d of decoded.damaged) this.#host.reportDamaged(this.#file, d.at, d.reason);
      // In place when the zeros past the last frame hold its largest record: no new
      // quota but for that record's size at most (a full copy needs the whole file's).
      const plan = planInPlace(bytes, decoded.frames, tombstones);
      if (!plan) return;
      await this.#grow(this.#end + plan.largest).catch(() => {});
      if (plan.largest <= this.#size - this.#end) {
        const end = plan.from + plan.bytes.length;
        const cut = plan.bytes.buffer as ArrayBuffer;
        const gen = this.#gen + 1;
        const { size, file } = await this.#worker.send<{ size: number; file: string }>(
          {
            op: 'rewrite',
            dir: this.#dir,
            file: this.#file,
            rename: segmentFile(this.#segment, gen),
            unmark: plan.unmark,
            from: plan.from,
            bytes: cut,
            cuts: plan.cuts,
            staging: this.#end,
            keep: RESERVE,
          },
          [cut],
        );
        if (file !== this.#file) this.#gen = gen;
        this.#file = file;
        this.#size = size;
        this.#end = end;
        return;
      }
      const contents = contentsOf([decoded.frames]);
      addTombstones(contents, tombstones);
      await this.#replace(contents, [this.#file]);
    };
    const previous = this.#compacting ?? Promise.resolve();
    const next = previous.then(run);
    this.#compacting = next;
    return next.finally(() => {
      if (this.#compacting === next) this.#compacting = undefined;
    });
  }

  /** Writes `contents` compacted as the segment's next generation, replacing `files`. */
  async #replace(contents: JournalContents, files: string[]): Promise<void> {
    const gen = this.#gen + 1;
    const next = segmentFile(this.#segment, gen);
    const { end, size } = await writeCompacted(
      this.#worker,
      this.#dir,
      next,
      contents,
      files,
      true,
    );
    this.#gen = gen;
    this.#file = next;
    this.#end = end;
    this.#size = size;
  }

  /**
   * Grows the file (zeros) so that `needed` bytes fit; one growth at a time.
   * Once one succeeds, a compaction a full quota refused runs.
   */
  #grow(needed: number): Promise<void> {
    const run = async () => {
      if (needed <= this.#size) return;
      const size = grownSize(this.#size, needed);
      await this.#worker.send({ op: 'grow', dir: this.#dir, file: this.#file, size });
      this.#size = size;
      if (this.#compactLater) {
        this.#compactLater = false;
        void this.compact().catch(() => {
          this.#compactLater = true;
        });
      }
    };
    const next = this.#growing.catch(() => {}).then(run);
    this.#growing = next;
    return next;
  }

  /**
   * Writes a frame at the end. Tombstones and refusal records may use the
   * reserve a commit frame leaves, so they are written at a full quota; past
   * it the file grows first.
   */
  #write(frame: Uint8Array, strict: boolean): Promise<void> {
    return this.#post(frame, this.#reserve(frame.length), strict);
  }

  /** Takes the next `length` bytes at the end for a frame; returns where they start. */
  #reserve(length: number): number {
    const at = this.#end;
    this.#end = at + length;
    this.#writing++;
    return at;
  }

  /** Hands the frame reserved at `at` to the worker (after any reserved before it, in file order). */
  #post(frame: Uint8Array, at: number, strict: boolean): Promise<void> {
    for (const [send, from] of this.#unsent) if (from < at) send();
    const end = at + frame.length;
    const bytes = frame.buffer as ArrayBuffer;
    const request = {
      op: 'write',
      dir: this.#dir,
      file: this.#file,
      at,
      bytes,
      flush: strict,
      seal: true, // made by openFrame: the worker computes its check value
    } as const;
    const sent =
      end <= this.#size
        ? this.#worker.send(request, [bytes])
        : this.#grow(end).then(() => this.#worker.send(request, [bytes]));
    return sent.then(
      () => {
        this.#writing--;
      },
      (error: unknown) => {
        this.#writing--;
        // Refused (a full quota): the next frame goes where this one failed, leaving no hole.
        if (this.#end === end) this.#end = at;
        throw error;
      },
    );
  }

  /**
   * Reads every segment of the journal (this store's and those of stores
   * that are gone; a segment another store is writing is skipped) and reports
   * each damaged record; resolves to what it found.
   */
  async verify(): Promise<JournalCheck> {
    await this.#compacting;
    await Promise.all(this.#inflight);
    const check: JournalCheck = { files: 0, records: 0, damaged: 0 };
    const dir = await directory(this.#dir, false);
    if (!dir) return check;
    const segments = await listSegments(dir);
    const name = (segment: number) => segmentLock(this.#host.name, segment);
    const locks = await takeFreeLocks(
      [...segments.keys()].filter((s) => s !== this.#segment).map(name),
    );
    try {
      for (const [segment, files] of segments) {
        const own = segment === this.#segment;
        if (!own && !locks.has(name(segment))) continue;
        for (const { file } of files) {
          const bytes =
            own && file === this.#file
              ? new Uint8Array(
                  await this.#worker.send<ArrayBuffer>({
                    op: 'read',
                    dir: this.#dir,
                    file,
                    from: 0,
                  }),
                )
              : (await readFrom(dir, file, 0)).bytes;
          const decoded = decodeFrames(bytes);
          for (const d of decoded.damaged) this.#host.reportDamaged(file, d.at, d.reason);
          check.files++;
          check.records += decoded.frames.length;
          check.damaged += decoded.damaged.length;
        }
      }
    } finally {
      for (const release of locks.values()) release();
    }
    return check;
  }

  /**
   * Lets go of the segment at once, for a page entering the back/forward
   * cache (src/store/page-lifecycle.ts): a cached page holding a Web Lock is
   * evicted as soon as another context asks for it or lists the origin's
   * locks (`locks.query()`, which every other store's check does). Only when
   * the journal is idle (no frame, refusal, tombstone or compaction under
   * way), so no frame is left to write to a segment that may be another
   * store's by then; returns whether it let go. The worker closes the file
   * after everything sent to it before, then lets go of the file's lock;
   * the segment's lock goes now, since the page is frozen before any answer
   * from the worker could arrive. The journal is closed for good: the store
   * takes a segment again when the page is shown.
   */
  suspend(): boolean {
    if (this.#closed) return true;
    if (this.#compacting || this.#inflight.size > 0 || this.#writing > 0) return false;
    this.#closed = true;
    this.#worker.send({ op: 'close', dir: this.#dir, file: this.#file }).catch(() => {});
    this.#release();
    return true;
  }

  /** Lets go of the segment (after its pending writes) so another store can take it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#compacting?.catch(() => {});
    await Promise.all(this.#inflight);
    await this.#worker.send({ op: 'close', dir: this.#dir, file: this.#file }).catch(() => {});
    this.#release();
  }
}

/**
 * Reads the dead segments from their watermarks (the whole file where there
 * is none, or it names another file) and restores what the database lacks.
 */
async function restore(
  host: JournalHost,
  dir: FileSystemDirectoryHandle,
  dead: readonly DeadSegment[],
  reset: boolean,
): Promise<{ report?: RestoreReport; lost: number[] }> {
  const frames: DecodedFrame<unknown>[][] = [];
  const marks: Record<string, Watermark> = {};
  const lost: number[] = [];
  let damaged = 0;
  for (const segment of dead) {
    const mark = host.watermarks[String(segment.segment)];
    const single = segment.files.length === 1;
    for (const { file } of segment.files) {
      // The database holds the watermark's frame: read from it, to tell whether
      // the crash tore it (a file's zeros past its frames do not tell, see src/journal/reserve.ts).
      const watermarked = single && mark?.file === file;
      const { bytes, size, start } = await readFrom(dir, file, watermarked ? mark.at : 0);
      const from = start;
      const decoded = decodeFrames(bytes, from);
      for (const d of decoded.damaged) host.reportDamaged(file, d.at, d.reason);
      damaged += decoded.damaged.length;
      // The watermark's frame is in the database already.
      const held = watermarked && decoded.frames[0]?.at === mark.at;
      frames.push(held ? decoded.frames.slice(1) : decoded.frames);
      segment.end = decoded.end;
      segment.size = size;
      segment.clean = false;
      // The database committed this frame but the crash tore it from the journal:
      // it is journaled again from the database (it was never acknowledged, but it is kept).
      if (watermarked && from === mark.at && !held && mark.seq !== undefined) lost.push(mark.seq);
      const last = decoded.frames[decoded.frames.length - 1];
      if (single && last) marks[String(segment.segment)] = { file, at: last.at, end: last.end };
    }
  }
  const contents = contentsOf(frames);
  let deletions = 0;
  let events = 0;
  if (contents.tombstones.size > 0) deletions = await host.restoreDeletions(contents.tombstones);
  for (const batch of commitBatches(contents, RESTORE_BATCH))
    events += await host.restoreEvents(batch);
  if (Object.keys(marks).length > 0) await host.saveWatermarks(marks);
  if (events === 0 && deletions === 0 && damaged === 0) return { lost };
  return { report: { events, deletions, damaged, reset }, lost };
}

/**
 * Writes `contents` compacted into `file` through the worker, followed by
 * the reserve's zeros, then removes `remove`; resolves to where its frames
 * end and its size.
 */
async function writeCompacted(
  worker: WorkerClient,
  dir: readonly string[],
  file: string,
  contents: JournalContents,
  remove: readonly string[],
  keepOpen: boolean,
): Promise<{ end: number; size: number }> {
  const parts = compactedRecords(contents).map((r) => encodeFrame(r));
  const end = parts.reduce((n, p) => n + p.length, 0);
  const bytes = new Uint8Array(end + RESERVE);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  await worker.send({ op: 'replace', dir, file, bytes: bytes.buffer, remove, keepOpen }, [
    bytes.buffer,
  ]);
  return { end, size: bytes.length };
}

/**
 * Drops deleted sessions' records from the segments whose writers are gone
 * (those still writing do it themselves when told).
 */
async function compactDead(
  name: string,
  worker: WorkerClient,
  own: number,
  tombstones: ReadonlyMap<string, string>,
  report: JournalHost['reportDamaged'],
): Promise<void> {
  const path = journalPath(name);
  const dir = await directory(path, false);
  if (!dir) return;
  const segments = await listSegments(dir);
  const locks = await takeFreeLocks(
    [...segments.keys()].filter((s) => s !== own).map((s) => segmentLock(name, s)),
  );
  try {
    for (const [segment, files] of segments) {
      if (!locks.has(segmentLock(name, segment))) continue;
      if (files.length === 1) {
        await compactDeadInPlace(worker, path, dir, files[0]!, tombstones, report);
        continue;
      }
      const frames: DecodedFrame<unknown>[][] = [];
      for (const { file } of files) {
        const decoded = decodeFrames((await readFrom(dir, file, 0)).bytes);
        for (const d of decoded.damaged) report(file, d.at, d.reason);
        frames.push(decoded.frames);
      }
      const contents = contentsOf(frames);
      addTombstones(contents, tombstones);
      const last = files[files.length - 1]!;
      const next = segmentFile(segment, last.gen + 1);
      await writeCompacted(
        worker,
        path,
        next,
        contents,
        files.map((f) => f.file),
        false,
      );
    }
  } finally {
    for (const release of locks.values()) release();
  }
}

/**
 * Compacts the one file of a segment whose writer is gone in place (see
 * src/journal/in-place.ts), growing it first when its zeros cannot stage
 * its largest record; nothing is written when nothing goes.
 */
async function compactDeadInPlace(
  worker: WorkerClient,
  path: readonly string[],
  dir: FileSystemDirectoryHandle,
  { file, segment, gen }: SegmentFile,
  tombstones: ReadonlyMap<string, string>,
  report: JournalHost['reportDamaged'],
): Promise<void> {
  const { bytes } = await readFrom(dir, file, 0);
  const decoded = decodeFrames(bytes);
  for (const d of decoded.damaged) report(file, d.at, d.reason);
  const plan = planInPlace(bytes, decoded.frames, tombstones);
  if (!plan) return;
  const ref = { dir: path, file };
  try {
    if (bytes.length - decoded.end < plan.largest)
      await worker.send({ op: 'grow', ...ref, size: decoded.end + plan.largest });
    const out = plan.bytes.buffer as ArrayBuffer;
    await worker.send(
      {
        op: 'rewrite',
        ...ref,
        rename: segmentFile(segment, gen + 1),
        unmark: plan.unmark,
        from: plan.from,
        bytes: out,
        cuts: plan.cuts,
        staging: decoded.end,
        keep: RESERVE,
      },
      [out],
    );
  } finally {
    await worker.send({ op: 'close', ...ref }).catch(() => {}); // (closed already unless it failed)
  }
}
