/**
 * A pod's AMQP client metrics, named as Micrometer's RabbitMQ binder exports them from a Spring Boot
 * service (`rabbitmq_connections`, `rabbitmq_channels`, `rabbitmq_published_total`, ...,
 * tagged with the connection factory's `name`): what a client's own scrape says about the
 * connections it holds to the broker.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { AmqpHooks } from "./amqp.js";

/** Spring Boot tags the binder with the connection factory's bean name. */
const FACTORY = { name: "rabbitConnectionFactory" };

export function amqpClientMetrics(registry: Registry, openConnections: () => number): Omit<AmqpHooks, "blocked"> {
  for (const [name, help] of [
    ["rabbitmq_connections", "Open connections"],
    ["rabbitmq_channels", "Open channels"],
  ] as const) {
    new Gauge({
      name,
      help,
      labelNames: ["name"],
      registers: [registry],
      collect() {
        // One confirm channel per connection.
        this.set(FACTORY, openConnections());
      },
    });
  }
  const counter = (name: string, help: string) => {
    const c = new Counter({ name, help, labelNames: ["name"], registers: [registry] });
    c.inc(FACTORY, 0);
    return () => c.inc(FACTORY);
  };
  return {
    published: counter("rabbitmq_published_total", "Messages published"),
    confirmed: counter("rabbitmq_acknowledged_published_total", "Published messages confirmed by the broker"),
    failedToPublish: counter("rabbitmq_failed_to_publish_total", "Messages that failed to publish"),
    consumed: counter("rabbitmq_consumed_total", "Messages consumed"),
  };
}
