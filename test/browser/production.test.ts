// The production start (SPEC §14): `npm run build` compiles to dist/, and
// `node dist/main.js` (what `npm run start:prod` runs, no tsx) serves the API
// and the chat page copied into dist/web; `keys:*` run from dist/ too.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, gqlData } from "../support/clients.js";
import { poll, hasChromium, openBrowser } from "./browser.js";

/** Runs a command to its end; fails after the timeout. */
function run(command: string, args: string[], env: Record<string, string> = {}, timeoutMs = 240_000): Promise<{ code: number | null; output: string }> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} still running after ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("npm run build, then node dist/main.js", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "parley-prod-"));
  let server: ChildProcess | undefined;
  let url: string;
  let output = "";

  beforeAll(async () => {
    const build = await run("npm", ["run", "--silent", "build"]);
    expect(build.code, build.output).toBe(0);

    // No tsx here: plain node on the compiled output.
    server = spawn(process.execPath, ["dist/main.js"], {
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", DATA_DIR: join(dataDir, "pglite"), LOG_LEVEL: "info", DEMO_DELAY_MS: "5" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server.stdout!.on("data", (d) => (output += d));
    server.stderr!.on("data", (d) => (output += d));
    const listening = /"url":"(http:\/\/[^"]+)\/graphql"/;
    await eventually(() => listening.test(output) || server!.exitCode !== null, 90_000, "dist/main.js to listen");
    expect(server.exitCode, output).toBeNull();
    url = listening.exec(output)![1]!;
  }, 360_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once("exit", resolve));
      server.kill("SIGTERM");
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers /health, GraphQL, GraphiQL and the chat page", async () => {
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const { createSession } = await gqlData(url, `mutation { createSession { id status } }`);
    expect(createSession.status).toBe("STARTED");
    const graphiql = await fetch(`${url}/graphql`, { headers: { accept: "text/html" } });
    expect(graphiql.status).toBe(200);
    expect(await graphiql.text()).toContain("/graphiql/graphiql.js");
    const chat = await fetch(`${url}/`);
    expect(chat.headers.get("content-type")).toContain("text/html");
    expect(await chat.text()).toContain(`src="/web/chat.js"`);
  });

  it.skipIf(!hasChromium)("serves a chat page that works in Chromium", async () => {
    const browser = await openBrowser(url);
    try {
      const page = await browser.context.newPage();
      await page.goto(`${url}/`);
      await page.locator("#input").fill("what is 2+3?");
      await page.keyboard.press("Enter");
      await poll(() => page.locator(".message.agent .text").last().innerText()).toBe("The answer is 5.");
      expect(browser.foreignRequests).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);

  it("runs the keys CLI from dist/ (on a data directory of its own: the server holds its lock)", async () => {
    const env = { DATA_DIR: join(dataDir, "keys") };
    const created = await run(process.execPath, ["dist/cli/keys.js", "create", "--name", "prod"], env, 60_000);
    expect(created.code, created.output).toBe(0);
    const key = JSON.parse(created.output.trim().split("\n").at(-1)!);
    expect(key).toMatchObject({ name: "prod", id: expect.stringMatching(/^key_[0-9a-f]{32}$/) });
    const listed = await run(process.execPath, ["dist/cli/keys.js", "list"], env, 60_000);
    expect(listed.output).toContain(key.id);
  }, 90_000);
});
