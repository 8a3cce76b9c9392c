/** A lab pod's configuration: one JSON document in an environment variable the lab sets when it starts the pod. */
export function readEnvConfig<T>(env: NodeJS.ProcessEnv, name: string, pods: string): T {
  const text = env[name];
  if (!text) throw new Error(`${name} is not set: ${pods} are started by \`beneath lab\``);
  return JSON.parse(text) as T;
}
