// GraphiQL at GET /graphql in real Chromium: served by Parley alone (any
// request to another host fails the test), opening on the README's tour, and
// running it — create, watch (graphql-ws, in a second browser tab), send,
// read — with CSRF prevention on, and with AUTH=api_key through the Headers pane.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { pgliteBackend } from "../support/backends.js";
import { startServer, type TestServer } from "../support/server.js";
import { poll, hasChromium, openBrowser, pageErrors, type TestBrowser } from "./browser.js";

const TOUR_TABS = ["CreateSession", "WatchSession", "SendMessage", "ReadMessages"];

/** GraphiQL's tab buttons move under a layout animation that headless Chromium leaves running, so click them from the DOM. */
async function openTab(page: Page, name: string): Promise<void> {
  await page.locator(".graphiql-tab-button", { hasText: name }).evaluate((button: HTMLElement) => button.click());
  await poll(() => page.locator(".graphiql-tab-active").innerText()).toBe(name);
}

/** Replaces a Monaco editor's text by typing (typing over auto-closed brackets keeps the text exact). */
async function typeInto(page: Page, editor: string, text: string): Promise<void> {
  await page.locator(`.graphiql-editor-tools button`, { hasText: editor }).click();
  await page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden)").click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Backspace");
  await page.keyboard.type(text);
}

const run = (page: Page) => page.locator(".graphiql-execute-button").click();
/** What an editor shows (Monaco renders spaces as no-break spaces). */
const shown = async (page: Page, selector: string) => (await page.locator(selector).innerText()).replaceAll("\u00a0", " ");
const response = (page: Page) => shown(page, ".graphiql-response");

async function openGraphiQL(page: Page, url: string): Promise<void> {
  const res = await page.goto(`${url}/graphql`); // a plain browser GET: no CSRF header
  expect(res?.status()).toBe(200);
  await page.locator(".graphiql-tab-button", { hasText: "CreateSession" }).waitFor();
}

describe.skipIf(!hasChromium)("GraphiQL in Chromium", () => {
  let server: TestServer;
  let browser: TestBrowser;

  beforeAll(async () => {
    server = await startServer(pgliteBackend(), { DEMO_DELAY_MS: "5" });
    browser = await openBrowser(server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(() => expect(browser.foreignRequests).toEqual([]));

  it("opens on the tour, and runs it: the WatchSession tab streams the turn over graphql-ws", async () => {
    const watcher = await browser.context.newPage();
    const errors = pageErrors(watcher);
    const sockets: string[] = [];
    watcher.on("websocket", (ws) => sockets.push(ws.url()));
    await openGraphiQL(watcher, server.url);
    expect(await watcher.locator(".graphiql-tab-button").allInnerTexts()).toEqual(TOUR_TABS);
    await poll(() => shown(watcher, ".graphiql-query-editor")).toContain("# Step 1 of 4: create a session.");

    // 1. CreateSession
    await run(watcher);
    await poll(() => response(watcher)).toMatch(/"createSession"[\s\S]*session_[0-9a-f]{32}/);
    const sessionId = (await response(watcher)).match(/session_[0-9a-f]{32}/)![0];
    const variables = JSON.stringify({ sessionId });

    // 2. WatchSession, left running in this browser tab
    await openTab(watcher, "WatchSession");
    await typeInto(watcher, "Variables", variables);
    await run(watcher);
    await poll(() => response(watcher)).toContain("session.started");
    expect(sockets).toEqual([`${server.url.replace("http", "ws")}/graphql`]);

    // 3. SendMessage from a second browser tab (it opens with the same tabs)
    const sender = await browser.context.newPage();
    await openGraphiQL(sender, server.url);
    await openTab(sender, "SendMessage");
    await typeInto(sender, "Variables", variables);
    await run(sender);
    await poll(() => response(sender)).toContain('"role": "USER"');

    // The subscription in the first tab streams the turn to its end.
    await poll(() => response(watcher)).toContain("session.idled");
    await watcher.bringToFront();
    await browser.screenshot(watcher, "graphiql-watch-session");

    // 4. ReadMessages: the calculator's answer
    await openTab(sender, "ReadMessages");
    await typeInto(sender, "Variables", variables);
    await run(sender);
    await poll(() => response(sender)).toContain('"name": "calculator"');
    // Monaco draws only the lines in view: the final answer is at the end.
    await sender.locator(".graphiql-response .monaco-editor").click();
    await sender.keyboard.press("Control+End");
    await poll(() => response(sender)).toContain("The answer is 84.");
    await browser.screenshot(sender, "graphiql-tour");
    expect(errors).toEqual([]);
  }, 120_000);
});

describe.skipIf(!hasChromium)("GraphiQL in Chromium with AUTH=api_key", () => {
  let server: TestServer;
  let browser: TestBrowser;
  let key: string;

  beforeAll(async () => {
    server = await startServer(pgliteBackend(), { DEMO_DELAY_MS: "5", AUTH: "api_key" });
    key = (await server.app.store.apiKeys.create("graphiql")).key;
    browser = await openBrowser(server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(() => expect(browser.foreignRequests).toEqual([]));

  it("takes the key from the Headers pane, over HTTP and as the graphql-ws connection payload", async () => {
    const page = await browser.context.newPage();
    await openGraphiQL(page, server.url);
    await page.locator(`.graphiql-editor-tools button`, { hasText: "Headers" }).click();
    await poll(() => shown(page, ".graphiql-editor-tool")).toContain('"Authorization": "Bearer <paste a key');

    // Without a real key: the server's 401 shows as an UNAUTHENTICATED error.
    await run(page);
    await poll(() => response(page)).toContain("UNAUTHENTICATED");

    const headers = JSON.stringify({ Authorization: `Bearer ${key}` });
    await typeInto(page, "Headers", headers);
    await run(page);
    await poll(() => response(page)).toMatch(/session_[0-9a-f]{32}/);
    const sessionId = (await response(page)).match(/session_[0-9a-f]{32}/)![0];

    await openTab(page, "WatchSession");
    await typeInto(page, "Variables", JSON.stringify({ sessionId }));
    await typeInto(page, "Headers", headers);
    await run(page);
    await poll(() => response(page)).toContain("session.started");
  }, 120_000);
});
