/// <reference types="node" />
/**
 * The sync endpoints as a fetch-style handler (`Request → Response`) and a
 * Node one (`(req, res)`), so Express, Fastify, Hono or a Next route can mount
 * them: `POST …/push` and `GET …/pull` under whatever prefix the app chooses.
 * The app's `tenant(request)` decides whose data a request sees; a request it
 * gives no tenant is refused.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { HybridClock } from '../clock.js';
import { EventStoreError, validationError } from '../errors.js';
import { type ErrorBody, MAX_PUSH_BYTES, MAX_WAIT_SECONDS } from '../sync/protocol.js';
import type { SqlDatabase } from './database.js';
import { LiveWaiters } from './live.js';
import { parsePullQuery, readPull } from './pull.js';
import { parsePush, writePush } from './push.js';

/** Which browser origins may call the endpoints (CORS). Same-origin apps need none. */
export interface CorsOptions {
  /** Allowed origins: a list, `"*"`, or a predicate. */
  origin: '*' | readonly string[] | ((origin: string) => boolean);
  /** Allow cookies / HTTP auth (sets Access-Control-Allow-Credentials; not with `"*"`). */
  credentials?: boolean;
  /** Seconds a browser may cache a preflight; default 600. */
  maxAge?: number;
}

/** Options of {@link createSyncHandler}. */
export interface SyncHandlerOptions {
  /** The database pushes write to (and pulls read from, without `readDb`). */
  db: SqlDatabase;
  /** A read replica for pulls (streaming replication); long polls still LISTEN on `db`. */
  readDb?: SqlDatabase;
  /**
   * The tenant whose data the request may see, from the app's own auth
   * (a session cookie, a bearer token). `null`/`undefined`/`""` refuses it
   * with 401. The Node form passes its `IncomingMessage` too.
   */
  tenant(
    request: Request,
    node?: IncomingMessage,
  ): string | null | undefined | Promise<string | null | undefined>;
  /** CORS for cross-origin clients; off by default. */
  cors?: CorsOptions;
  /** Largest push body in bytes; default 16 MiB. */
  maxBodyBytes?: number;
  /** How far ahead of the server's clock an event may be; default 24 h. */
  maxSkewMs?: number;
  /** Called with unexpected errors (database down…) answered as 503; default `console.error`. */
  onError?(error: unknown): void;
}

/** Mounted sync endpoints. */
export interface SyncHandler {
  /** The fetch-style form: Hono, Next route handlers, Deno, Bun, workers. */
  fetch(request: Request): Promise<Response>;
  /** The Node form: `http.createServer`, Express, Fastify (`reply.raw`). */
  node(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Stops listening for notifications and ends pending long polls. */
  close(): Promise<void>;
}

const STATUS: Partial<Record<EventStoreError['code'], number>> = {
  validation: 400,
  serialization: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
};
const DEFAULT_SKEW_MS = 24 * 60 * 60 * 1000;
// How often a waiting long poll re-reads without a notification: a row held
// back by an older transaction in flight shows once it ends, which no push notifies.
const RECHECK_MS = 1000;
const FIRST_RECHECK_MS = 10;

/** A refusal with its HTTP status. */
class Refusal {
  constructor(
    readonly status: number,
    readonly error: EventStoreError,
  ) {}
}

/**
 * Creates the sync endpoints over `db` (run {@link migrate} once first).
 * Stateless apart from one LISTEN connection: run as many instances as you
 * like behind a load balancer.
 */
export function createSyncHandler(options: SyncHandlerOptions): SyncHandler {
  if (typeof options?.tenant !== 'function') {
    throw new TypeError('createSyncHandler: a tenant(request) function is required');
  }
  const { db, cors } = options;
  const readDb = options.readDb ?? db;
  const maxBody = options.maxBodyBytes ?? MAX_PUSH_BYTES;
  const clock = new HybridClock({ maxSkewMs: options.maxSkewMs ?? DEFAULT_SKEW_MS });
  const onError = options.onError ?? ((error: unknown) => console.error('sessionlog sync:', error));
  const live = new LiveWaiters(db);

  const corsHeaders = (request: Request): Record<string, string> => {
    const origin = request.headers.get('origin');
    if (!cors || origin === null) return {};
    const allowed =
      cors.origin === '*'
        ? true
        : typeof cors.origin === 'function'
          ? cors.origin(origin)
          : cors.origin.includes(origin);
    if (!allowed) return {};
    const headers: Record<string, string> = {
      'access-control-allow-origin': cors.origin === '*' && !cors.credentials ? '*' : origin,
      vary: 'Origin',
    };
    if (cors.credentials) headers['access-control-allow-credentials'] = 'true';
    return headers;
  };

  async function handle(request: Request, node?: IncomingMessage): Promise<Response> {
    const base = corsHeaders(request);
    try {
      if (request.method === 'OPTIONS') return preflight(request, base);
      const route = new URL(request.url).pathname.split('/').at(-1);
      if (route !== 'push' && route !== 'pull')
        throw new Refusal(404, new EventStoreError('not_found', `no sync endpoint at this path`));
      const method = route === 'push' ? 'POST' : 'GET';
      if (request.method !== method) {
        throw new Refusal(
          405,
          validationError('method', `${route} takes ${method}, got ${request.method}`),
        );
      }
      const tenant = await tenantOf(request, node);
      if (route === 'push') {
        const body = await readJson(request, maxBody);
        const result = await writePush(db, tenant, parsePush(body, clock));
        return json(200, JSON.stringify(result), base);
      }
      const params = new URL(request.url).searchParams;
      const query = parsePullQuery(params);
      const wait = parseWait(params.get('wait'));
      return json(200, await pull(tenant, query, wait, request.signal), {
        ...base,
        'cache-control': 'no-store',
      });
    } catch (error) {
      return refuse(error, base);
    }
  }

  async function tenantOf(request: Request, node?: IncomingMessage): Promise<string> {
    let tenant: unknown;
    try {
      tenant = await options.tenant(request, node);
    } catch (cause) {
      throw new Refusal(401, new EventStoreError('unauthorized', 'not authorized', { cause }));
    }
    if (typeof tenant !== 'string' || tenant === '')
      throw new Refusal(401, new EventStoreError('unauthorized', 'not authorized'));
    return tenant;
  }

  async function pull(
    tenant: string,
    query: ReturnType<typeof parsePullQuery>,
    waitMs: number,
    signal: AbortSignal,
  ): Promise<string> {
    const deadline = Date.now() + waitMs;
    let recheck = FIRST_RECHECK_MS;
    // One listener for the whole poll (not one per re-read).
    const aborted = new Promise<false>((resolve) => {
      if (signal.aborted) resolve(false);
      else signal.addEventListener('abort', () => resolve(false), { once: true });
    });
    for (;;) {
      const ticket = waitMs > 0 ? await live.arm(tenant) : undefined;
      try {
        const page = await readPull(readDb, tenant, query);
        const left = deadline - Date.now();
        if (page.rows > 0 || left <= 0 || signal.aborted) return page.json;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const woke = await Promise.race([
          ticket!.woken.then(() => true),
          aborted,
          new Promise<false>((resolve) => {
            timer = setTimeout(() => resolve(false), Math.min(left, recheck));
          }),
        ]);
        clearTimeout(timer);
        // After a wake the row may still sit behind an older transaction: re-read soon, then back off.
        recheck = woke ? FIRST_RECHECK_MS : Math.min(RECHECK_MS, recheck * 4);
      } finally {
        ticket?.cancel();
      }
    }
  }

  function refuse(error: unknown, headers: Record<string, string>): Response {
    let status: number;
    let e: EventStoreError;
    if (error instanceof Refusal) {
      status = error.status;
      e = error.error;
    } else if (error instanceof EventStoreError && STATUS[error.code] !== undefined) {
      status = STATUS[error.code]!;
      e = error;
    } else {
      onError(error);
      status = 503;
      e = new EventStoreError('storage', 'the sync database is unavailable; retry later');
    }
    const body: ErrorBody = {
      error: {
        code: e.code,
        message: e.message,
        ...(e.field !== undefined ? { field: e.field } : {}),
        ...(e.index !== undefined ? { index: e.index } : {}),
      },
    };
    const extra: Record<string, string> = status === 503 ? { 'retry-after': '1' } : {};
    if (status === 405)
      extra.allow = e.message.includes('takes POST') ? 'POST, OPTIONS' : 'GET, OPTIONS';
    return json(status, JSON.stringify(body), { ...headers, ...extra });
  }

  function preflight(request: Request, base: Record<string, string>): Response {
    if (!base['access-control-allow-origin']) return new Response(null, { status: 204 });
    return new Response(null, {
      status: 204,
      headers: {
        ...base,
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers':
          request.headers.get('access-control-request-headers') ?? 'content-type',
        'access-control-max-age': String(cors?.maxAge ?? 600),
      },
    });
  }

  return {
    fetch: (request) => handle(request),
    async node(req, res) {
      const controller = new AbortController();
      res.on('close', () => controller.abort());
      const response = await handle(toRequest(req, controller.signal), req);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    },
    close: () => live.close(),
  };
}

function json(status: number, body: string, headers: Record<string, string>): Response {
  return new Response(body, {
    status,
    headers: { ...headers, 'content-type': 'application/json; charset=utf-8' },
  });
}

function parseWait(text: string | null): number {
  if (text === null) return 0;
  const seconds = Number(text);
  if (!/^[0-9]{1,3}$/.test(text) || seconds > MAX_WAIT_SECONDS)
    throw validationError(
      'wait',
      `must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}`,
    );
  return seconds * 1000;
}

/** The body as JSON: `application/json`, at most `max` bytes, UTF-8. */
async function readJson(request: Request, max: number): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new Refusal(
      415,
      validationError('content-type', `must be application/json, got "${type}"`),
    );
  }
  const tooLarge = () => new Refusal(413, validationError('body', `larger than ${max} bytes`));
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > max) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw validationError('body', 'is not UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new EventStoreError('validation', `body: malformed JSON (${(cause as Error).message})`, {
      field: 'body',
    });
  }
}

/** A fetch Request for a Node request (its body streamed, not buffered). */
function toRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const host = req.headers.host ?? 'localhost';
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(`http://${host}${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers,
    signal,
    ...(hasBody
      ? { body: Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>, duplex: 'half' }
      : {}),
  } as RequestInit);
}
