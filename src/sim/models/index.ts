/**
 * The component types a scenario may name (`components.<name>.type`), and the assembly of a world
 * from a scenario: the cluster first, then every component, then the mesh that routes requests.
 */
import { isJsonObject, type Scenario, ScenarioError } from "../scenario.js";
import { Spec } from "../spec.js";
import { type Model, World } from "../world.js";
import { createAsg } from "./asg.js";
import { createAutoscaler } from "./autoscaler.js";
import { createClickHouse } from "./clickhouse.js";
import { createCluster } from "./cluster.js";
import { createConsumer } from "./consumer.js";
import { eksNodeModels } from "./eks.js";
import { createIngest } from "./ingest.js";
import { createJob } from "./job.js";
import { createKafkaClient } from "./kafkaClient.js";
import { createLogBroker } from "./logBroker.js";
import { createLogShipper } from "./logShipper.js";
import { Mesh } from "./mesh.js";
import { createMySql } from "./mysql.js";
import { createPgBouncer } from "./pgbouncer.js";
import { createPostgres } from "./postgres.js";
import { createRabbitMq } from "./rabbitmq.js";
import { createRailsWeb } from "./railsWeb.js";
import { createService, type Service, serviceHeights } from "./service.js";
import { createWorker } from "./worker.js";

type Factory = (name: string, spec: Spec, world: World) => Model;

/** Component types other than `service` (which the mesh orders by the call graph). */
const FACTORIES: Record<string, Factory> = {
  mysql: createMySql,
  asg: createAsg,
  postgres: createPostgres,
  pgbouncer: createPgBouncer,
  worker: createWorker,
  "rails-web": createRailsWeb,
  logbroker: createLogBroker,
  logshipper: createLogShipper,
  kafkaclient: createKafkaClient,
  clickhouse: createClickHouse,
  ingest: createIngest,
  rabbitmq: createRabbitMq,
  consumer: createConsumer,
  job: createJob,
  hpa: createAutoscaler,
  scaledobject: createAutoscaler,
};

export const COMPONENT_TYPES = ["service", ...Object.keys(FACTORIES)];

export function buildWorld(scenario: Scenario, seed: number): World {
  const world = new World(scenario, seed);
  const { doc } = scenario;
  if (!isJsonObject(doc.cluster)) throw new ScenarioError(`${scenario.file}: cluster: expected a mapping`);
  world.add(createCluster(new Spec(doc, "cluster"), world));
  if (!isJsonObject(doc.components)) throw new ScenarioError(`${scenario.file}: components: expected a mapping`);
  const specs: Record<string, Spec> = {};
  const serviceSpecs: Record<string, Spec> = {};
  for (const [name, component] of Object.entries(doc.components)) {
    if (!isJsonObject(component)) throw new ScenarioError(`${scenario.file}: components.${name}: expected a mapping`);
    const spec = new Spec(doc, `components.${name}`);
    const type = component.type;
    if (typeof type !== "string" || !COMPONENT_TYPES.includes(type)) {
      throw new ScenarioError(
        `${scenario.file}: components.${name}.type: expected one of ${COMPONENT_TYPES.join(", ")}`,
      );
    }
    if (type === "service") serviceSpecs[name] = spec;
    else specs[name] = spec;
  }
  for (const [name, spec] of Object.entries(specs)) world.add(FACTORIES[spec.str("type")](name, spec, world));
  const heights = serviceHeights(serviceSpecs);
  const services: Service[] = [];
  for (const [name, spec] of Object.entries(serviceSpecs)) {
    const service = createService(name, spec, world, heights.get(name) ?? 0);
    services.push(service);
    world.add(service);
  }
  for (const s of services) {
    for (const callee of s.spec.keys("calls")) {
      if (!serviceSpecs[callee])
        throw new ScenarioError(`${scenario.file}: components.${s.name}.calls.${callee}: no service named ${callee}`);
    }
  }
  world.add(new Mesh(world, services));
  for (const model of eksNodeModels(world)) world.add(model);
  return world;
}
