/**
 * A Kubernetes Service for a TCP server (what kube-proxy does for PgBouncer's pods): one stable
 * address on 127.0.0.1 whose new connections go to the endpoints ready now, while connections already
 * made stay with the endpoint they reached. Like kube-proxy it sets no timeout and no keepalive of its
 * own: a connection to an endpoint that vanished hangs for as long as its client waits.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { LOOPBACK } from "./net.js";

export class TcpService {
  private endpoints: { host: string; port: number }[] = [];
  private next = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<TcpService> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
    const address = server.address();
    const service = new TcpService(server, typeof address === "object" && address ? address.port : 0);
    server.on("connection", (client) => service.forward(client));
    return service;
  }

  readonly host = LOOPBACK;

  /** The endpoints (`host:port`) new connections go to from now on, round-robin. */
  setEndpoints(endpoints: string[]): void {
    this.endpoints = endpoints.map((e) => {
      const [host, port] = e.split(":");
      return { host, port: Number(port) };
    });
  }

  private forward(client: Socket): void {
    if (this.endpoints.length === 0) {
      client.destroy();
      return;
    }
    this.next = (this.next + 1) % this.endpoints.length;
    const upstream = connect(this.endpoints[this.next]);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ]) {
      this.sockets.add(a);
      a.pipe(b);
      // Either side closing or failing closes the other, as a NATed flow ends with its peer.
      a.on("close", () => {
        this.sockets.delete(a);
        b.destroy();
      });
      a.on("error", () => b.destroy());
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
