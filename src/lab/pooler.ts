/**
 * PostgreSQL behind PgBouncer pods that run on lab nodes (network namespaces), reached through one
 * Service address, as the seed incident's Rails workers reached RDS through PgBouncer on EKS. Its two
 * endings: the node under the pooler terminated without drain, and the planned drain that moves the
 * pooler and its clients first.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Monitoring, ScrapeJob, TargetGroup } from "./monitoring.js";
import { startPostgresExporter } from "./monitoring.js";
import { createNode, deleteNode, type LabNode, nodeName, type ShaperSpec, shape } from "./netns.js";
import { type NodeExporter, startNodeExporterOn, terminateWithoutDrain } from "./nodeAgents.js";
import { type PgBouncerPod, startPgBouncer, stopGracefully } from "./pgbouncer.js";
import { type Postgres, startPostgres } from "./postgres.js";
import type { ProcessGroup } from "./processes.js";
import { randomName } from "./shop.js";
import { TcpService } from "./tcpService.js";

export interface PoolerSpec {
  /** Nodes the pooler may run on (the first, `lab-node-1`, runs it; the others take it over). */
  nodes: number;
  /** PostgreSQL's max_connections. */
  maxConnections: number;
  /** PgBouncer's default_pool_size and max_client_conn. */
  poolSize: number;
  maxClientConn: number;
  /** The Kubernetes namespace its pods are labelled with. */
  namespace: string;
}

/** The scrape jobs' names, as a Kubernetes setup names them. */
const JOBS = { postgres: "postgres", nodes: "node-exporter", pgbouncer: "pgbouncer" };
/** Of the exporter's ~300 pg_settings_* series (constants), the ones about connections. */
const PG_SETTINGS_KEPT = {
  prefix: "pg_settings_",
  names: ["max_connections", "superuser_reserved_connections", "tcp_keepalives_idle", "idle_session_timeout"],
};
/**
 * A drain's preStop wait before PgBouncer gets SIGINT: the endpoint leaves the Service first, so every
 * new connection goes to the new pod, and clients whose connections' lifetime is shorter have all
 * moved by the end of it (the seed's preStop sleeps 25 s).
 */
export const PRESTOP_SECONDS = 25;
/** After a node vanishes, its pods are rescheduled elsewhere once the node is found NotReady and its pods evicted. */
const RESCHEDULE_SECONDS = 40;

interface NodeState {
  node: LabNode;
  exporter: NodeExporter;
  /** Still a member of the cluster (its exporter is discovered). */
  listed: boolean;
}

export class PoolerCluster {
  private readonly pods: PgBouncerPod[] = [];
  private readonly replicaSet = `pgbouncer-${randomName(10)}`;

  private constructor(
    private readonly group: ProcessGroup,
    private readonly scratch: string,
    private readonly spec: PoolerSpec,
    private readonly nodes: NodeState[],
    readonly db: Postgres,
    private readonly users: string[],
    private readonly postgresExporter: string,
    /** Where clients connect: the Service in front of PgBouncer's pods. */
    readonly service: TcpService,
  ) {}

  /**
   * Creates the nodes (each deleted again by `close`, also when starting fails part way), starts
   * PostgreSQL on the host and PgBouncer on the first node.
   */
  static async start(group: ProcessGroup, scratch: string, spec: PoolerSpec, users: string[]): Promise<PoolerCluster> {
    const nodes: LabNode[] = [];
    let service: TcpService | undefined;
    try {
      for (let i = 0; i < spec.nodes; i++) nodes.push(await createNode(nodeName(i)));
      const states: NodeState[] = [];
      for (const node of nodes)
        states.push({ node, exporter: await startNodeExporterOn(group, scratch, node), listed: true });
      const db = await startPostgres(group, scratch, {
        listen: nodes.map((n) => n.hostAddress),
        maxConnections: spec.maxConnections,
        clientUsers: users,
      });
      const exporter = await startPostgresExporter(
        group,
        scratch,
        `postgresql://${db.superuser}@${db.host}:${db.port}/${db.database}?sslmode=disable`,
      );
      service = await TcpService.start();
      const cluster = new PoolerCluster(group, scratch, spec, states, db, users, exporter, service);
      await cluster.schedulePod(states[0]);
      return cluster;
    } catch (err) {
      await service?.close();
      await Promise.all(nodes.map(deleteNode));
      throw err;
    }
  }

  /** The nodes, for a run's cleanup. */
  labNodes(): LabNode[] {
    return this.nodes.map((n) => n.node);
  }

  scrapeJobs(): ScrapeJob[] {
    return [
      { job: JOBS.postgres, targets: [this.postgresExporter], keepOnly: PG_SETTINGS_KEPT },
      { job: JOBS.nodes, groups: this.nodeTargets() },
      { job: JOBS.pgbouncer, groups: this.podTargets() },
    ];
  }

  /**
   * The node under the pooler is terminated without drain: cut off, its processes killed; the clients'
   * connections through the Service hang. Once the node is found gone the pod is rescheduled on another
   * node and the Service sends new connections there, but the hung ones never learn it.
   */
  async vanish(monitoring: Monitoring, signal: AbortSignal): Promise<string> {
    const pod = this.currentPod();
    const state = this.stateOf(pod.node);
    await terminateWithoutDrain(this.group, pod.node, [pod.pgbouncer, pod.exporter, state.exporter.proc]);
    await sleep(RESCHEDULE_SECONDS * 1000, undefined, { signal });
    const replacement = await this.schedulePod(this.spareNode(pod.node));
    await this.publish(monitoring);
    return `node ${pod.node.name} (running ${pod.pod}) terminated without drain; ${replacement.pod} started on ${replacement.node.name} ${RESCHEDULE_SECONDS}s later`;
  }

  /**
   * A planned drain of the node under the pooler: a new pod on another node takes the Service; during
   * the preStop wait the clients' connections reach their lifetime and reopen on the new pod; then the
   * old PgBouncer gets SIGINT (safe shutdown: transactions in flight finish) and the node is deleted
   * from the cluster and its instance terminated.
   */
  async drain(monitoring: Monitoring, signal: AbortSignal): Promise<string> {
    const old = this.currentPod();
    const replacement = await this.schedulePod(this.spareNode(old.node));
    await this.publish(monitoring);
    await sleep(PRESTOP_SECONDS * 1000, undefined, { signal });
    await stopGracefully(this.group, old);
    this.pods.splice(this.pods.indexOf(old), 1);
    await this.publish(monitoring);
    // The autoscaler deletes the drained node as it terminates the instance: its exporter leaves discovery.
    const state = this.stateOf(old.node);
    state.listed = false;
    await this.publish(monitoring);
    await terminateWithoutDrain(this.group, old.node, [state.exporter.proc]);
    return `drained node ${old.node.name}: ${replacement.pod} started on ${replacement.node.name}, ${old.pod} stopped with SIGINT after a ${PRESTOP_SECONDS}s preStop, the node deleted and terminated`;
  }

  /** A rate limit on what the node under the pooler sends (its bandwidth allowance), as a provider shapes an instance. */
  async limitRate(spec: ShaperSpec): Promise<string> {
    const pod = this.currentPod();
    await shape(pod.node, spec);
    return `node ${pod.node.name} (running ${pod.pod}) may send ${spec.rateKbit} kbit/s (tbf, burst ${spec.burstBytes} bytes, ${spec.latencyMs} ms queue)`;
  }

  async close(): Promise<void> {
    await this.service.close();
  }

  /**
   * Starts a PgBouncer pod on the node and makes it the Service's only endpoint: a pod being drained
   * leaves the endpoints as its preStop begins, and one on a vanished node once it is found NotReady.
   */
  private async schedulePod(state: NodeState): Promise<PgBouncerPod> {
    const pod = await startPgBouncer(this.group, this.scratch, state.node, this.db, {
      pod: `${this.replicaSet}-${randomName(5)}`,
      poolSize: this.spec.poolSize,
      maxClientConn: this.spec.maxClientConn,
      users: this.users,
    });
    this.pods.push(pod);
    this.service.setEndpoints([pod.address]);
    return pod;
  }

  private async publish(monitoring: Monitoring): Promise<void> {
    await monitoring.setTargetGroups(JOBS.nodes, this.nodeTargets());
    await monitoring.setTargetGroups(JOBS.pgbouncer, this.podTargets());
  }

  private nodeTargets(): TargetGroup[] {
    return this.nodes
      .filter((n) => n.listed)
      .map((n) => ({ targets: [n.exporter.address], labels: { node: n.node.name } }));
  }

  private podTargets(): TargetGroup[] {
    return this.pods.map((p) => ({
      targets: [p.metricsAddress],
      labels: { namespace: this.spec.namespace, pod: p.pod, node: p.node.name },
    }));
  }

  private currentPod(): PgBouncerPod {
    const pod = this.pods[this.pods.length - 1];
    if (!pod) throw new Error("no PgBouncer pod is running");
    return pod;
  }

  private stateOf(node: LabNode): NodeState {
    const state = this.nodes.find((n) => n.node === node);
    if (!state) throw new Error(`unknown lab node ${node.name}`);
    return state;
  }

  private spareNode(besides: LabNode): NodeState {
    const spare = this.nodes.find((n) => n.node !== besides && n.listed);
    if (!spare) throw new Error(`no node to move the pooler to besides ${besides.name}`);
    return spare;
  }
}
