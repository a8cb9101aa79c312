// The chat page at `/` in real Chromium, against the real server and the demo
// agent: nothing from another host, the answer streaming delta by delta, a
// calculator turn with its tool call and result, a reload mid-turn that shows
// each delta exactly once, cancel, an image upload shown back, the agent
// chosen, client-tool and approval calls answered from the page, a fork from
// an answer, and errors a person can read.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { wordDeltas } from "../../src/agent/drivers/demo.js";
import { pgliteBackend } from "../support/backends.js";
import { gqlData } from "../support/clients.js";
import { PNG } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";
import { poll, hasChromium, openBrowser, pageErrors, type TestBrowser } from "./browser.js";

/** The demo agent's reply to a text with no arithmetic in it. */
const quoteReply = (text: string) => `You said: "${text}". I am the demo agent: I can do arithmetic (try "what is 12*(3+4)?") and tell the time.`;
const LONG_TEXT = "please tell me a long story about the sea and the ships that sail on it from one harbour to the next, every day, all year long";

const lastAgentText = (page: Page) => page.locator(".message.agent .text").last().innerText();

async function sendMessage(page: Page, text: string): Promise<void> {
  await page.locator("#input").fill(text);
  await page.keyboard.press("Enter");
  await poll(() => page.locator(".message.user").last().innerText()).toContain(text);
}

/** Records every text the last agent bubble shows, as it changes. */
async function recordAgentText(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { seen: string[] }).seen = seen;
    new MutationObserver(() => {
      const text = [...document.querySelectorAll(".message.agent .text")].at(-1)?.textContent ?? "";
      if (text && text !== seen.at(-1)) seen.push(text);
    }).observe(document.getElementById("transcript")!, { childList: true, subtree: true, characterData: true });
  });
}
const recorded = (page: Page) => page.evaluate(() => (window as unknown as { seen: string[] }).seen);

describe.skipIf(!hasChromium)("the chat page in Chromium", () => {
  let server: TestServer;
  let browser: TestBrowser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    // Slow enough to watch (and reload) a turn mid-stream.
    server = await startServer(pgliteBackend(), { DEMO_DELAY_MS: "120" });
    browser = await openBrowser(server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(async () => {
    expect(browser.foreignRequests).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  const openPage = async (path = "/") => {
    page = await browser.context.newPage();
    errors = pageErrors(page);
    await page.goto(`${server.url}${path}`);
    await page.locator("#input").waitFor();
  };

  it("is ready to type: the first send creates a session, kept in the URL, and the answer streams delta by delta", async () => {
    await openPage();
    await recordAgentText(page);
    await sendMessage(page, "hello there");
    expect(page.url()).toMatch(/\?session=session_[0-9a-f]{32}$/);

    const reply = quoteReply("hello there");
    await poll(() => lastAgentText(page)).toBe(reply);
    // Each delta appeared on its own: the texts shown are the growing prefixes, one per delta.
    const deltas = wordDeltas(reply);
    const prefixes = deltas.map((_, i) => deltas.slice(0, i + 1).join(""));
    expect(await recorded(page)).toEqual(prefixes);
    await poll(() => page.locator("#status").innerText()).toBe("idle");

    // The new session is in the list, marked as open.
    const sessionId = new URL(page.url()).searchParams.get("session");
    await poll(() => page.locator(`#sessions a[aria-current="page"]`).getAttribute("data-session-id")).toBe(sessionId);
  }, 90_000);

  it("shows a calculator turn: the tool call with its arguments, its result, then the answer", async () => {
    await openPage();
    await sendMessage(page, "what is 12*(3+4)?");
    const call = page.locator(".tool-call");
    await poll(() => call.locator(".call").innerText()).toBe('calculator({"expression":"12*(3+4)"})');
    await poll(() => call.locator(".result").innerText()).toBe("→ 84");
    await poll(() => lastAgentText(page)).toBe("The answer is 84.");
    await poll(() => page.locator("#status").innerText()).toBe("idle");
    await browser.screenshot(page, "chat-tool-turn");

    // Reopened from its URL, the stored conversation looks the same.
    await page.reload();
    await poll(() => page.locator(".tool-call .result").innerText()).toBe("→ 84");
    await poll(() => lastAgentText(page)).toBe("The answer is 84.");
  }, 90_000);

  it("reloaded mid-turn, resumes after the last message shown: every delta exactly once", async () => {
    await openPage();
    await sendMessage(page, LONG_TEXT);
    await poll(() => lastAgentText(page)).toMatch(/^You said: /);
    expect(await page.locator(".message.agent.streaming").count()).toBe(1);

    await page.reload();
    await page.locator("#input").waitFor();
    await recordAgentText(page);
    // Still streaming after the reload: the replayed and the live deltas fill one bubble.
    await page.locator(".message.agent.streaming").waitFor();
    const reply = quoteReply(LONG_TEXT);
    await poll(() => lastAgentText(page), 20_000).toBe(reply);
    for (const text of await recorded(page)) expect(reply.startsWith(text), `shown mid-stream: ${text}`).toBe(true);

    const sessionId = new URL(page.url()).searchParams.get("session");
    const stored = await gqlData(server.url, `query($id: ID!) { session(id: $id) { messages(last: 1) { nodes { content { ... on TextPart { text } } } } } }`, { id: sessionId });
    expect(stored.session.messages.nodes[0].content[0].text).toBe(reply);
    await browser.screenshot(page, "chat-after-reload");
  }, 90_000);

  it("stops a running turn with Stop (cancelTurn)", async () => {
    await openPage();
    await sendMessage(page, LONG_TEXT);
    await poll(() => lastAgentText(page)).toMatch(/^You said: /);
    await page.locator("#cancel").click();
    await page.locator(".notice", { hasText: "Stopped." }).waitFor();
    await page.locator(".message.agent.stopped").waitFor();
    await poll(() => page.locator("#status").innerText()).toBe("idle");
    expect(await page.locator("#cancel").isHidden()).toBe(true);
    const partial = await lastAgentText(page);
    expect(quoteReply(LONG_TEXT).startsWith(partial) && partial.length < quoteReply(LONG_TEXT).length).toBe(true);
  }, 90_000);

  it("uploads an image and shows it back in the conversation", async () => {
    await openPage();
    await page.locator("#image").setInputFiles({ name: "dot.png", mimeType: "image/png", buffer: PNG });
    await poll(() => page.locator("#attachment-name").innerText()).toBe("dot.png");
    await sendMessage(page, "what is in this picture?");
    const img = page.locator(".message.user img");
    await img.waitFor();
    expect(await img.getAttribute("alt")).toBe("dot.png");
    // The bytes come from this server (Image.url), and the browser decoded them.
    expect(new URL((await img.getAttribute("src"))!).host).toBe(new URL(server.url).host);
    await poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBe(1);
    await poll(() => page.locator("#attachment").isHidden()).toBe(true);
  }, 90_000);

  describe("with an agent that has a client tool and an approval", () => {
    let agentId: string;
    beforeAll(async () => {
      const data = await gqlData(server.url, `mutation($input: CreateAgentInput!) { createAgent(input: $input) { id } }`, {
        input: { name: "Colour picker", clientTools: [{ name: "pick_color" }], approvalRequired: ["calculator"] },
      });
      agentId = data.createAgent.id;
    });

    /** A new chat with the agent chosen in the select. */
    const openWithAgent = async () => {
      await openPage();
      await poll(() => page.locator("#agent option").allInnerTexts()).toContain("Colour picker");
      await page.locator("#agent").selectOption({ label: "Colour picker" });
    };
    const sessionOf = (p: Page) => new URL(p.url()).searchParams.get("session");

    it("runs turns with the agent chosen, answers a client-tool call from the page, approves a call, and shows the agent", async () => {
      await openWithAgent();
      await sendMessage(page, "call pick_color {}");
      const stored = await gqlData(server.url, `query($id: ID!) { session(id: $id) { agent { id } } }`, { id: sessionOf(page) });
      expect(stored.session.agent.id).toBe(agentId);
      expect(await page.locator("#agent").inputValue()).toBe(agentId);
      expect(await page.locator("#agent").isDisabled()).toBe(true);

      // The client-tool card: a text box and "Send result"; the result replaces it.
      const pick = page.locator(".tool-call", { hasText: "pick_color" });
      await poll(() => page.locator("#status").innerText()).toBe("waiting for you");
      await pick.locator("form.answer input").fill("blue");
      await pick.getByRole("button", { name: "Send result" }).click();
      await poll(() => pick.locator(".result").innerText()).toBe("→ blue");
      expect(await pick.locator("form.answer").count()).toBe(0);
      await poll(() => lastAgentText(page)).toBe("The answer is blue.");
      await poll(() => page.locator("#status").innerText()).toBe("idle");

      // The calculator waits for a decision; approved, it runs.
      await sendMessage(page, "what is 2+3?");
      const calc = page.locator(".tool-call", { hasText: "calculator" });
      await calc.getByRole("button", { name: "Approve" }).waitFor();
      await poll(() => page.locator("#status").innerText()).toBe("waiting for you");
      await browser.screenshot(page, "chat-approval");
      await calc.getByRole("button", { name: "Approve" }).click();
      await poll(() => calc.locator(".result").innerText()).toBe("→ 5");
      await poll(() => lastAgentText(page)).toBe("The answer is 5.");
      await poll(() => page.locator("#status").innerText()).toBe("idle");
    }, 90_000);

    it("shows a rejection as the call's result, and a call still waiting after a reload", async () => {
      await openWithAgent();
      await sendMessage(page, "what is 7*6?");
      await page.locator(".tool-call form.answer.approval").waitFor();
      // Reloaded while the call waits: the card comes back from session.pendingToolCalls.
      await page.reload();
      const calc = page.locator(".tool-call", { hasText: "calculator" });
      await calc.getByRole("button", { name: "Reject" }).click();
      await poll(() => calc.locator(".result.error").innerText()).toBe("→ rejected");
      await poll(() => lastAgentText(page)).toBe("I could not work that out: rejected.");
    }, 90_000);

    it("forks from the first answer: a new session with that exchange only", async () => {
      await openWithAgent();
      await sendMessage(page, "first message");
      await poll(() => lastAgentText(page)).toBe(quoteReply("first message"));
      await poll(() => page.locator("#status").innerText()).toBe("idle");
      await sendMessage(page, "second message");
      await poll(() => lastAgentText(page)).toBe(quoteReply("second message"));
      await poll(() => page.locator(".message.agent .fork").count()).toBe(2);
      const source = sessionOf(page);

      await page.locator(".message.agent").first().getByRole("button", { name: "Fork here" }).click();
      await poll(() => sessionOf(page)).not.toBe(source);
      await poll(() => page.locator(".message.user").allInnerTexts()).toEqual(["first message"]);
      await poll(() => page.locator(".message.agent .text").allInnerTexts()).toEqual([quoteReply("first message")]);
      await poll(() => page.locator("#title").innerText()).toBe("first message (fork)");
      // The fork runs the same agent, and can be forked again from its own answer.
      expect(await page.locator("#agent").inputValue()).toBe(agentId);
      await poll(() => page.locator(".message.agent .fork").count()).toBe(1);
      await browser.screenshot(page, "chat-fork");
    }, 90_000);
  });

  it("shows errors as sentences: a file that is not an image, a session that does not exist", async () => {
    await openPage();
    await page.locator("#image").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("just text") });
    await page.locator("#input").fill("look at this");
    await page.keyboard.press("Enter"); // nothing is sent: the upload fails first
    await poll(() => page.locator("#error-text").innerText()).toMatch(/^The uploaded file is not an image of type image\/png/);
    expect(await page.locator("#input").inputValue()).toBe("look at this"); // kept, to try again
    expect(page.url()).toBe(`${server.url}/`);
    await browser.screenshot(page, "chat-error");
    await page.close();

    await openPage(`/?session=session_${"0".repeat(32)}`);
    await poll(() => page.locator("#error-text").innerText()).toBe("That conversation does not exist (it may have been deleted). Start a new one below.");
    expect(page.url()).toBe(`${server.url}/`);
  }, 90_000);
});

describe.skipIf(!hasChromium)("the chat page in Chromium with AUTH=api_key", () => {
  let server: TestServer;
  let browser: TestBrowser;

  beforeAll(async () => {
    server = await startServer(pgliteBackend(), { DEMO_DELAY_MS: "5", AUTH: "api_key" });
    browser = await openBrowser(server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("asks for a key, refuses a wrong one, chats with a right one, and keeps it across a reload", async () => {
    const { key } = await server.app.store.apiKeys.create("chat");
    const page = await browser.context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${server.url}/`);
    await page.locator("#key-input").waitFor();
    await poll(() => page.locator("#error-text").innerText()).toBe("This server needs an API key: enter one on the left.");

    await page.locator("#key-input").fill("prl_not_a_real_key");
    await page.locator("#key-input").press("Enter");
    await poll(() => page.locator("#key-form").isVisible()).toBe(true); // asked again

    await page.locator("#key-input").fill(key);
    await page.locator("#key-input").press("Enter");
    await poll(() => page.locator("#key-form").isVisible()).toBe(false);
    await sendMessage(page, "hello with a key");
    await poll(() => lastAgentText(page)).toBe(quoteReply("hello with a key"));
    const sessionId = new URL(page.url()).searchParams.get("session");
    expect(sessionId).toMatch(/^session_[0-9a-f]{32}$/);

    // The session belongs to the key: the server says so through the API.
    const owned = await gqlData<{ session: { id: string } | null }>(
      server.url,
      `query($id: ID!) { session(id: $id) { id } }`,
      { id: sessionId },
      { authorization: `Bearer ${key}` },
    );
    expect(owned.session?.id).toBe(sessionId);

    await page.reload();
    await poll(() => lastAgentText(page)).toBe(quoteReply("hello with a key")); // no second prompt for the key
    expect(await page.locator("#key-form").isVisible()).toBe(false);
    expect(browser.foreignRequests).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
