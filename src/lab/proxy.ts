/**
 * What a Kubernetes Service does for the lab's pods: one stable address per service that spreads
 * requests round-robin over the pods currently ready, so callers keep working through a rollout.
 */
import { Agent, createServer, request, type Server } from "node:http";
import { LOOPBACK } from "./net.js";

/** Sockets kept open per pod, so a steady load reuses connections instead of churning ports. */
const MAX_SOCKETS_PER_POD = 32;

export class ServiceProxy {
  private backends: string[] = [];
  private next = 0;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_POD });
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<ServiceProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const proxy = new ServiceProxy(server, `http://${LOOPBACK}:${port}`);
    server.on("request", (req, res) => {
      const backend = proxy.pick();
      if (!backend) {
        res.writeHead(503).end("no ready pods");
        return;
      }
      const upstream = request(
        `${backend}${req.url ?? "/"}`,
        { method: req.method, headers: req.headers, agent: proxy.agent },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => {
        if (!res.headersSent) res.writeHead(503);
        res.end();
      });
      req.pipe(upstream);
    });
    return proxy;
  }

  /** The pods (base URLs) requests go to from now on. */
  setBackends(backends: string[]): void {
    this.backends = [...backends];
  }

  private pick(): string | undefined {
    if (this.backends.length === 0) return undefined;
    this.next = (this.next + 1) % this.backends.length;
    return this.backends[this.next];
  }

  async close(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
