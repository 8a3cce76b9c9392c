/** Numbers as a person reads them in evidence details: the report's own formatting, so no e-notation anywhere. */
export { formatNumber as formatValue } from "../diagnosis/units.js";
