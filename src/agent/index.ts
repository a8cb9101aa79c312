// Builds the agent from the config: which drivers exist, which model is the
// default, the server tools (built-ins and the MCP servers of MCP_SERVERS),
// and the turn runner that uses them.
import type { Config } from "../config.js";
import { newId } from "../ids.js";
import type { Logger } from "../log.js";
import type { Store } from "../store/index.js";
import { DEMO_MODEL_ID } from "../store/models.js";
import { createDemoDriver } from "./drivers/demo.js";
import type { AgentDriver } from "./drivers/driver.js";
import { TurnRunner, type RunnerObserver, type RunnerOptions } from "./runner.js";
import { ToolCatalog } from "./tools/catalog.js";
import { McpServers } from "./tools/mcp/index.js";

export async function createAgent(
  config: Config,
  store: Store,
  logger: Logger,
  options: { soleInstance: boolean; observer?: RunnerObserver; sessionEvents?: RunnerOptions["sessionEvents"] },
): Promise<{ runner: TurnRunner; tools: ToolCatalog; close(): Promise<void> }> {
  const drivers = new Map<string, AgentDriver>([["demo", createDemoDriver({ delayMs: config.DEMO_DELAY_MS })]]);
  let defaultModelId = DEMO_MODEL_ID;
  const provider = await providerDriver(config);
  if (provider) {
    drivers.set(provider.name, provider.driver);
    // Models are rows: the configured provider model is registered (once, by name) so messages can name it.
    const model = await store.models.ensure({ id: newId("model"), name: provider.model, provider: provider.name, maxErrorDisclosure: "STANDARD" });
    if (config.AGENT_DRIVER === provider.name) defaultModelId = model.id;
  }
  // Never throws: a server that is down is logged and its tools are absent until it is back.
  const mcp = await McpServers.start(config.MCP_SERVERS, { logger, toolTimeoutMs: config.MCP_TOOL_TIMEOUT_MS });
  const tools = new ToolCatalog({ mcp, logger });
  const runner = new TurnRunner(
    {
      store,
      tools,
      driverFor: (name) => drivers.get(name),
      defaultModelId,
      maxIterations: config.MAX_ITERATIONS,
      historyLimit: 200,
      logger,
      toolWaitMs: config.TOOL_WAIT_TIMEOUT_MS,
    },
    { concurrency: config.TURN_CONCURRENCY, leaseMs: config.TURN_LEASE_MS, soleInstance: options.soleInstance, sessionEvents: options.sessionEvents },
    options.observer,
  );
  return { runner, tools, close: () => mcp.close() };
}

async function providerDriver(config: Config): Promise<{ name: string; model: string; driver: AgentDriver } | null> {
  if (config.AGENT_DRIVER === "openai") {
    const { createOpenAIDriver } = await import("./drivers/openai.js");
    return { name: "openai", model: config.OPENAI_MODEL, driver: createOpenAIDriver({ baseURL: config.OPENAI_BASE_URL, apiKey: config.OPENAI_API_KEY }) };
  }
  if (config.AGENT_DRIVER === "anthropic") {
    const { createAnthropicDriver } = await import("./drivers/anthropic.js");
    return {
      name: "anthropic",
      model: config.ANTHROPIC_MODEL,
      driver: createAnthropicDriver({ baseURL: config.ANTHROPIC_BASE_URL, apiKey: config.ANTHROPIC_API_KEY }),
    };
  }
  if (config.AGENT_DRIVER === "agui") {
    const { createAguiDriver } = await import("./drivers/agui.js");
    const url = config.AGUI_AGENT_URL!; // required with AGENT_DRIVER=agui (config.ts)
    return { name: "agui", model: "agui", driver: createAguiDriver({ url, headers: config.AGUI_AGENT_HEADERS, timeoutMs: config.AGUI_REQUEST_TIMEOUT_MS }) };
  }
  return null;
}
