/**
 * The little the sync handlers need from PostgreSQL: queries, transactions and
 * LISTEN. Two adapters: a `pg` Pool (a real server) and PGlite (embedded). Both
 * are typed structurally, so this subpath imports neither package at runtime.
 */

/** Something that runs one SQL statement with `$n` parameters. */
export interface SqlClient {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/** A database the handlers use: statements, transactions and notifications. */
export interface SqlDatabase extends SqlClient {
  /** Runs `work` in one transaction (READ COMMITTED); commits if it resolves, rolls back if it throws. */
  transaction<T>(work: (tx: SqlClient) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` for each NOTIFY on `channel`, and `onReconnect` after a
   * lost connection was restored (notifications in between may be lost).
   * Resolves to a function that stops listening.
   */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>>;
}

/** The part of a `pg` PoolClient the adapter uses. */
export interface PgClientLike extends SqlClient {
  release(error?: Error | boolean): void;
  on(
    event: 'notification',
    listener: (message: { channel: string; payload?: string }) => void,
  ): unknown;
  on(event: 'error' | 'end', listener: (error?: Error) => void): unknown;
}

/** The part of a `pg` Pool the adapter uses. */
export interface PgPoolLike extends SqlClient {
  connect(): Promise<PgClientLike>;
}

/** The part of a PGlite instance the adapter uses. */
export interface PGliteLike extends SqlClient {
  transaction<T>(work: (tx: SqlClient) => Promise<T>): Promise<T>;
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Adapts a `pg` Pool. LISTEN holds one connection of its own, reconnecting
 * with backoff when the server restarts. Give the pool an `error` listener:
 * `pg` emits errors of idle clients on it (a restart), and Node exits on an
 * unhandled one.
 */
export function fromPgPool(pool: PgPoolLike): SqlDatabase {
  return {
    query: (text, params) => pool.query(text, params),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        // A client whose connection failed must not go back to the pool.
        client.release(error instanceof Error ? error : true);
        throw error;
      }
    },
    async listen(channel, onNotify, onReconnect) {
      let stopped = false;
      let client: PgClientLike | undefined;
      let retry: ReturnType<typeof setTimeout> | undefined;
      const connect = async (attempt: number): Promise<void> => {
        try {
          const c = await pool.connect();
          c.on('notification', (m) => {
            if (m.channel === channel) onNotify(m.payload ?? '');
          });
          const lost = () => {
            if (client !== c) return;
            client = undefined;
            c.release(true);
            if (!stopped) retry = setTimeout(() => void connect(1), 100);
          };
          c.on('error', lost);
          c.on('end', lost);
          await c.query(`LISTEN ${quoteIdent(channel)}`);
          if (stopped) {
            c.release(true);
            return;
          }
          client = c;
          if (attempt > 0) onReconnect?.();
        } catch (error) {
          if (attempt === 0) throw error;
          if (!stopped)
            retry = setTimeout(() => void connect(attempt + 1), Math.min(5000, 100 * 2 ** attempt));
        }
      };
      await connect(0);
      return async () => {
        stopped = true;
        clearTimeout(retry);
        const c = client;
        client = undefined;
        if (c) {
          await c.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => {});
          c.release(true);
        }
      };
    },
  };
}

/** Adapts PGlite (one embedded connection: statements run one at a time). */
export function fromPGlite(db: PGliteLike): SqlDatabase {
  return {
    query: (text, params) => db.query(text, params),
    transaction: (work) => db.transaction(work),
    listen: (channel, onNotify) => db.listen(channel, onNotify),
  };
}
