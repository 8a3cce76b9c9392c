/**
 * The HTML report as a person opens it: in a real browser (headless Chromium), offline, for every
 * simulated seed incident. Its charts must be drawn and nothing may go wrong in the console.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { analyzeCase } from "../src/analyze.js";
import { renderHtml } from "../src/diagnosis/renderHtml.js";
import { loadScenario, scenarioNames } from "../src/sim/scenario.js";
import { caseDir, simulate, writeSimulation } from "../src/sim/simulate.js";
import { CHROMIUM, hasChromium, openPage } from "./helpers/browser.js";
import { storyDiagnosis } from "./helpers/storyDiagnosis.js";

const work = mkdtempSync(join(tmpdir(), "beneath-html-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** The scenarios that reproduce a seed incident's fault (look-alikes reproduce its symptoms only). */
const seedIncidents = scenarioNames().filter((name) => {
  const s = loadScenario(name);
  return s.seedIncident !== undefined && s.truth.class === "incident";
});

test("headless Chromium is installed (apt-get install chromium)", () => {
  assert.ok(hasChromium(), `${CHROMIUM} is missing: .ci/run installs it`);
});

test("a report without a Case is still a page: no charts, no errors", { skip: !hasChromium() }, async () => {
  const file = join(work, "no-case.html");
  writeFileSync(file, renderHtml(storyDiagnosis()));
  const page = await openPage(file);
  assert.deepEqual(page.errors, []);
  assert.equal(page.chartSlots, 0);
  assert.match(page.title, /shipping: db\.connection-hoarding/);
});

for (const name of seedIncidents) {
  test(`the HTML report of ${name} draws its chain in Chromium, offline, with no console error`, {
    skip: !hasChromium(),
  }, async () => {
    const sim = simulate(name);
    const out = join(work, name);
    await writeSimulation(sim, out);
    const { diagnosis, case: c } = await analyzeCase([caseDir(out)], { at: sim.scenario.start + sim.scenario.alert });
    const html = renderHtml(diagnosis, c);
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/, "nothing loaded from elsewhere");
    const file = join(out, "report.html");
    writeFileSync(file, html);
    const page = await openPage(file);
    assert.deepEqual(page.errors, []);
    assert.ok(page.chartSlots + page.usageBars >= 1, "the top cause's chain is drawn: a chart or a usage bar");
    assert.ok(page.drawnCanvases >= page.chartSlots, `${page.drawnCanvases} of ${page.chartSlots} charts drawn`);
  });
}
