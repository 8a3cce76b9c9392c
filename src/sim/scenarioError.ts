/** A scenario that cannot be run as written; its own module so the CLI can map it to exit 2 without loading the simulator. */
export class ScenarioError extends Error {}
