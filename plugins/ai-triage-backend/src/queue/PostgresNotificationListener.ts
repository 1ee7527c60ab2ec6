import { LoggerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

/** The part of a `pg` client the listener uses. */
type ListenConnection = {
  query(sql: string): Promise<unknown>;
  on(event: 'notification', listener: (message: unknown) => void): void;
  on(event: 'error' | 'end', listener: (error?: unknown) => void): void;
  removeAllListeners(event?: string): void;
};

const MIN_RECONNECT_MS = 500;
const MAX_RECONNECT_MS = 30_000;

/**
 * Holds one dedicated PostgreSQL connection (outside knex's pool) that `LISTEN`s on a channel and
 * calls `onNotify` for every notification. A dropped connection is replaced with backoff; after
 * every (re)connect `onNotify` is called once too, since notifications sent while nobody listened
 * are lost.
 */
export class PostgresNotificationListener {
  private connection?: ListenConnection;
  private stopped = true;
  private reconnectTimer?: NodeJS.Timeout;
  private failures = 0;
  private reconnecting?: Promise<void>;
  private transitions: Promise<void> = Promise.resolve();

  static create(options: {
    knex: Knex;
    channel: string;
    onNotify: () => void;
    logger?: LoggerService;
  }): PostgresNotificationListener {
    if (!/^[a-z_][a-z0-9_]*$/.test(options.channel)) {
      throw new Error(`Invalid PostgreSQL channel name ${options.channel}`);
    }
    return new PostgresNotificationListener(options);
  }

  private constructor(
    private readonly options: Parameters<
      typeof PostgresNotificationListener.create
    >[0],
  ) {}

  /**
   * Starts listening; resolves once the first `LISTEN` succeeded, or failed and a retry is
   * scheduled. Starts and stops apply in call order.
   */
  start(): Promise<void> {
    this.transitions = this.transitions.then(async () => {
      if (this.stopped) {
        this.stopped = false;
        await this.connect();
      }
    });
    return this.transitions;
  }

  async stop(): Promise<void> {
    this.transitions = this.transitions.then(async () => {
      this.stopped = true;
      clearTimeout(this.reconnectTimer);
      await this.reconnecting;
      await this.release();
    });
    return this.transitions;
  }

  private async connect(): Promise<void> {
    const { knex, channel, onNotify, logger } = this.options;
    let connection: ListenConnection | undefined;
    try {
      connection =
        (await knex.client.acquireRawConnection()) as ListenConnection;
      connection.on('notification', () => onNotify());
      connection.on('error', error => this.lost(connection!, error));
      connection.on('end', () => this.lost(connection!, 'connection ended'));
      await connection.query(`LISTEN ${channel}`);
      if (this.stopped) {
        await this.destroy(connection);
        return;
      }
      this.connection = connection;
      if (this.failures > 0) {
        logger?.info(`Listening for ${channel} notifications again`);
      }
      this.failures = 0;
      onNotify();
    } catch (error) {
      if (connection) {
        await this.destroy(connection);
      }
      this.scheduleReconnect(error);
    }
  }

  private lost(connection: ListenConnection, error: unknown): void {
    if (this.connection !== connection) {
      return;
    }
    this.connection = undefined;
    connection.removeAllListeners('notification');
    this.destroy(connection);
    this.scheduleReconnect(error);
  }

  private scheduleReconnect(error: unknown): void {
    if (this.stopped) {
      return;
    }
    this.failures++;
    const delay = Math.min(
      MAX_RECONNECT_MS,
      MIN_RECONNECT_MS * 2 ** (this.failures - 1),
    );
    this.options.logger?.warn(
      `Lost the ${this.options.channel} listener connection; reconnecting in ${delay} ms (idle polling covers the gap)`,
      { error: String(error) },
    );
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnecting = this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private async release(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (connection) {
      connection.removeAllListeners('notification');
      connection.removeAllListeners('end');
      await connection
        .query(`UNLISTEN ${this.options.channel}`)
        .catch(() => undefined);
      await this.destroy(connection);
    }
  }

  private async destroy(connection: ListenConnection): Promise<void> {
    // A closed connection may still emit errors; keep one handler so they are not unhandled.
    connection.removeAllListeners('error');
    connection.on('error', () => undefined);
    await this.options.knex.client
      .destroyRawConnection(connection)
      .catch(() => undefined);
  }
}
