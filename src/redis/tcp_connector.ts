/**
 * ioredis' connector for plain `redis://`: each (re)connection is a
 * {@linkcode TcpSocket} on Deno's own TCP (see `tcp_socket.ts` for why).
 *
 * @module
 */

import { AbstractConnector } from "ioredis";
import { TcpSocket } from "./tcp_socket.ts";

/** What ioredis gives a connector: its options, of which these are read. */
interface TcpConnectorOptions {
  host?: string;
  port?: number;
  disconnectTimeout?: number;
}

/**
 * ioredis' connector for plain TCP: each (re)connection is a
 * {@linkcode TcpSocket}. Given to ioredis as its `Connector` option.
 *
 * @example Usage
 * Not run as a test: it needs a Redis server.
 *
 * ```ts ignore
 * import { Redis } from "ioredis";
 * import { TcpConnector } from "./tcp_connector.ts";
 *
 * const client = new Redis("redis://127.0.0.1:6379/0", { Connector: TcpConnector });
 * await client.ping();
 * client.disconnect();
 * ```
 */
export class TcpConnector extends AbstractConnector {
  #host: string;
  #port: number;

  /**
   * Creates the connector ioredis uses for one client.
   *
   * @param given The client's options (its host, port and disconnect timeout).
   */
  constructor(given: unknown) {
    const options = given as TcpConnectorOptions;
    super(options.disconnectTimeout ?? 2000);
    this.#host = options.host ?? "localhost";
    this.#port = options.port ?? 6379;
  }

  /**
   * Starts a connection.
   *
   * @returns The socket, still connecting (ioredis waits for its `connect`).
   */
  override connect(): ReturnType<AbstractConnector["connect"]> {
    this.connecting = true;
    const socket = new TcpSocket(this.#host, this.#port);
    this.stream = socket as unknown as typeof this.stream;
    return Promise.resolve(this.stream!);
  }
}
