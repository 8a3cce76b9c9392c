/**
 * What AMQP client libraries log when a connection cannot be opened, a publish stays blocked by a
 * broker alarm, or the broker goes away: pika (Python), the RabbitMQ Java client under Spring AMQP,
 * streadway/amqp (Go), amqplib (Node.js), php-amqplib and the RabbitMQ .NET client. Texts read in the libraries' sources are
 * kept as they are; the Java, Go, Node.js and .NET texts for a blocked publish depend on the application's
 * own deadline and are illustrative (unverified).
 */
import type { MessageText } from "../telemetry.js";
import type { AmqpFailure } from "./amqp.js";
import { serviceClusterIp } from "./amqp.js";
import type { Language } from "./logTexts.js";

const AMQP_PORT = 5672;

export const AMQP_FAILURES: readonly AmqpFailure[] = [
  "amqp-refused",
  "amqp-handshake-timeout",
  "amqp-blocked-timeout",
  "amqp-connection-lost",
];

export function isAmqpFailure(cause: string): cause is AmqpFailure {
  return (AMQP_FAILURES as readonly string[]).includes(cause);
}

/** The line a client logs for an AMQP failure; `host` is the broker's Service name. */
export function amqpFailureText(language: Language, cause: AmqpFailure, host: string): MessageText {
  const ip = serviceClusterIp(host);
  switch (language) {
    case "python":
      return {
        // pika 1.x: connection_workflow.py and exceptions.py.
        "amqp-handshake-timeout": `AMQPConnector - reporting failure: AMQPConnectorStackTimeout: Timeout during AMQP handshake'${host}'/(<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_STREAM: 1>, 6, '', ('${ip}', ${AMQP_PORT})); ssl=False`,
        "amqp-refused": `AMQPConnector - reporting failure: AMQPConnectorSocketConnectError: ConnectionRefusedError(111, 'Connection refused')`,
        "amqp-blocked-timeout": "pika.exceptions.ConnectionBlockedTimeout: Blocked connection timeout expired.",
        "amqp-connection-lost": `pika.exceptions.StreamLostError: Stream connection lost: ConnectionResetError(104, 'Connection reset by peer')`,
      }[cause];
    case "java":
      return {
        "amqp-handshake-timeout":
          "org.springframework.amqp.AmqpTimeoutException: java.util.concurrent.TimeoutException",
        "amqp-refused": `org.springframework.amqp.AmqpConnectException: java.net.ConnectException: Connection refused (Connection refused)`,
        "amqp-blocked-timeout": `org.springframework.amqp.AmqpTimeoutException: publish to ${host} blocked: connection.blocked (low on memory)`,
        "amqp-connection-lost":
          "org.springframework.amqp.AmqpConnectException: java.net.SocketException: Connection reset",
      }[cause];
    case "go":
      return {
        "amqp-handshake-timeout": `dial tcp ${ip}:${AMQP_PORT}: i/o timeout`,
        "amqp-refused": `dial tcp ${ip}:${AMQP_PORT}: connect: connection refused`,
        "amqp-blocked-timeout": `publish to ${host}: context deadline exceeded (connection blocked: low on memory)`,
        "amqp-connection-lost": `Exception (501) Reason: "EOF"`,
      }[cause];
    case "nodejs":
      return {
        "amqp-handshake-timeout": "Error: Socket closed abruptly during opening handshake",
        "amqp-refused": `Error: connect ECONNREFUSED ${ip}:${AMQP_PORT}`,
        "amqp-blocked-timeout": `Error: publish to ${host} timed out: connection blocked (low on memory)`,
        "amqp-connection-lost": "Error: Unexpected close",
      }[cause];
    case "dotnet":
      return {
        "amqp-handshake-timeout":
          "RabbitMQ.Client.Exceptions.BrokerUnreachableException: None of the specified endpoints were reachable ---> System.TimeoutException: The operation has timed out.",
        "amqp-refused":
          "RabbitMQ.Client.Exceptions.BrokerUnreachableException: None of the specified endpoints were reachable ---> System.Net.Sockets.SocketException (111): Connection refused",
        "amqp-blocked-timeout": `System.TimeoutException: publish to ${host} timed out: connection blocked (low on memory)`,
        "amqp-connection-lost":
          "RabbitMQ.Client.Exceptions.AlreadyClosedException: Already closed: The AMQP operation was interrupted: AMQP close-reason, initiated by Library, code=541, text='Unexpected Exception'",
      }[cause];
    case "php":
      return {
        "amqp-handshake-timeout":
          "PhpAmqpLib\\Exception\\AMQPTimeoutException: The connection timed out after 3 sec while awaiting incoming data",
        "amqp-refused": `PhpAmqpLib\\Exception\\AMQPIOException: stream_socket_client(): unable to connect to tcp://${host}:${AMQP_PORT} (Connection refused)`,
        "amqp-blocked-timeout":
          "PhpAmqpLib\\Exception\\AMQPConnectionBlockedException: Connection is blocked due to low resources",
        "amqp-connection-lost":
          "PhpAmqpLib\\Exception\\AMQPConnectionClosedException: Broken pipe or closed connection",
      }[cause];
  }
}
