/**
 * Opens a page in Debian's headless Chromium (the `chromium` package; .ci/run installs it) and reports
 * what a person would see go wrong: console errors, uncaught exceptions, charts left blank.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** No background traffic, no first-run work: the page is all the browser does. */
const QUIET_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export interface PageReport {
  errors: string[];
  /** Canvases with at least one painted pixel. */
  drawnCanvases: number;
  /** Elements meant to hold a chart. */
  chartSlots: number;
  /** Usage-against-limit bars (for links with no series to draw). */
  usageBars: number;
  title: string;
}

export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

export async function openPage(file: string, screenshot?: string): Promise<PageReport> {
  const profile = mkdtempSync(join(tmpdir(), "beneath-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: QUIET_FLAGS,
    viewport: { width: 1200, height: 900 },
  });
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    // Offline: anything the page tries to fetch is an error, so a report that needs the network fails here.
    await page.route(/^(?!file:|data:|about:)/, (route) => {
      errors.push(`network request: ${route.request().url()}`);
      return route.abort();
    });
    await page.goto(`file://${file}`, { waitUntil: "load" });
    const seen = await page.evaluate(() => {
      const painted = (canvas: HTMLCanvasElement) => {
        const ctx = canvas.getContext("2d");
        if (!ctx || canvas.width === 0 || canvas.height === 0) return false;
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
        return false;
      };
      return {
        drawnCanvases: [...document.querySelectorAll("canvas")].filter(painted).length,
        chartSlots: document.querySelectorAll(".chart").length,
        usageBars: document.querySelectorAll(".usage-bar").length,
        title: document.title,
      };
    });
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return { errors, ...seen };
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
