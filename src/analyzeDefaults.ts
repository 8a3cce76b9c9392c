/** Defaults of `analyze` that the CLI shows in its help, apart from the engine so that help does not load it. */

/** Causes reported by default: enough to show the runner-ups a person would check next. */
export const DEFAULT_TOP = 5;
