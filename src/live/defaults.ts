/** The live source's defaults, apart from its code so that the CLI can show them without loading it. */

/** Series pulled by default: every series of a sizeable namespace, a few MB of samples per hour. */
export const DEFAULT_MAX_SERIES = 5000;
