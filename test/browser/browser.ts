// Real headless Chromium for the browser tests: Debian's `chromium` package
// driven by playwright-core (which never downloads a browser). Where it is not
// installed the tests say so and skip; .ci/run installs it.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`[tests] no Chromium at ${CHROMIUM}: SKIPPING the browser tests (install it with: apt-get install -y chromium).`);
}

/** Screenshots land here (git-ignored), one folder per run of a file. */
export const ARTIFACTS = join(process.cwd(), "test-artifacts", "browser");

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface TestBrowser {
  context: BrowserContext;
  /** Every request the pages made to a host other than the server under test. */
  foreignRequests: string[];
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

/** A fresh browser profile whose pages may only talk to `serverUrl`. */
export async function openBrowser(serverUrl: string): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "parley-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
    timeout: 60_000,
  });
  context.setDefaultTimeout(15_000);
  const origin = new URL(serverUrl);
  const foreignRequests: string[] = [];
  const ours = (url: string) => {
    const u = new URL(url);
    return u.protocol === "data:" || u.protocol === "blob:" || u.host === origin.host;
  };
  context.on("request", (request) => {
    if (!ours(request.url())) foreignRequests.push(request.url());
  });
  context.on("page", (page) => page.on("websocket", (ws) => void (ours(ws.url()) || foreignRequests.push(ws.url()))));
  for (const page of context.pages()) page.on("websocket", (ws) => void (ours(ws.url()) || foreignRequests.push(ws.url())));
  mkdirSync(ARTIFACTS, { recursive: true });

  return {
    context,
    foreignRequests,
    screenshot: async (page, name) => void (await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) })),
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The page's JavaScript errors, gathered so a test can assert there were none. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

/** expect.poll with a wait that fits a browser on a busy machine (its default is 1 s). */
export const poll = <T>(read: () => Promise<T> | T, timeout = 15_000) => expect.poll(read, { timeout, interval: 50 });
