// One request to an upstream AG-UI agent, through @ag-ui/client's HttpAgent:
// its events, read one at a time (a run may span several Parley steps), with
// a deadline — no response, or no event, for `timeoutMs` fails it — and
// every failure as a DriverError. The turn's signal aborts the request.
import { HttpAgent, transformChunks, verifyEvents } from "@ag-ui/client";
import { AGUIError, EventType, type BaseEvent, type RunAgentInput } from "@ag-ui/core";
import { causeChain } from "./cause.js";
import { DriverError, type StepContinuation } from "./driver.js";

export interface UpstreamOptions {
  url: string;
  headers: Record<string, string>;
  /** AGUI_REQUEST_TIMEOUT_MS: the longest wait for the response and for each event after it. */
  timeoutMs: number;
}

type Item = { event: BaseEvent } | { error: unknown } | { end: true };

export class UpstreamRun implements StepContinuation {
  private readonly controller = new AbortController();
  private readonly items: Item[] = [];
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | undefined;
  private timedOut = false;
  /** The network error that broke the response body, if one did (HttpAgent only sees an AbortError then). */
  private streamError: unknown;
  /** Whether any event came: a network error after that is a broken stream, not an unreachable agent. */
  private answered = false;
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly detach: () => void;

  constructor(
    private readonly options: UpstreamOptions,
    readonly input: RunAgentInput,
    private readonly signal: AbortSignal,
  ) {
    const onAbort = () => this.abort("the turn was aborted");
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    this.detach = () => signal.removeEventListener("abort", onAbort);
    const agent = new HttpAgent({
      url: options.url,
      headers: options.headers,
      fetch: async (url, init) =>
        guardBody(await fetch(url, init), (error) => {
          if (!this.controller.signal.aborted) this.streamError ??= error; // our own abort is not the agent's failure
        }),
    });
    agent.abortController = this.controller; // HttpAgent sends its request with this controller's signal
    this.arm();
    // Chunk events become START/CONTENT/END; events out of protocol order end the run with an error.
    const subscription = agent
      .run(input)
      .pipe(transformChunks(false), verifyEvents(false))
      .subscribe({
        next: (event) => this.push({ event }),
        error: (error: unknown) => this.push({ error }),
        complete: () => this.push({ end: true }),
      });
    this.unsubscribe = () => subscription.unsubscribe();
  }

  /** The next event; throws DriverError (or the turn's abort reason) when the run failed or ended without RUN_FINISHED. */
  async next(): Promise<BaseEvent> {
    for (;;) {
      if (this.controller.signal.aborted) throw this.abortError();
      const item = this.items.shift();
      if (item) {
        // After a broken body HttpAgent reports a RUN_ERROR of its own ("abort"): the network error is the real story.
        const synthetic = "event" in item && item.event.type === EventType.RUN_ERROR && this.streamError !== undefined;
        if ("event" in item && !synthetic) {
          this.answered = true;
          return item.event;
        }
        this.close();
        if (this.streamError !== undefined) throw toDriverError(this.streamError, this.answered);
        if ("error" in item) throw toDriverError(item.error, this.answered);
        throw new DriverError(BROKE_OFF, "the response ended without RUN_FINISHED or RUN_ERROR");
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.detach();
    this.unsubscribe();
    this.abort("closed");
  }

  private push(item: Item) {
    if (this.closed) return;
    this.items.push(item);
    this.arm();
    this.wake?.();
    this.wake = null;
  }

  /** (Re)starts the deadline: the response, then each event, must come within timeoutMs. */
  private arm() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.abort("timed out");
      this.wake?.();
      this.wake = null;
    }, this.options.timeoutMs);
    this.timer.unref();
  }

  /**
   * Always an AbortError: HttpAgent treats it as a normal stop, while any other
   * reason resurfaces from its stream reader as an unhandled rejection.
   */
  private abort(why: string) {
    if (!this.controller.signal.aborted) this.controller.abort(new DOMException(why, "AbortError"));
  }

  private abortError(): unknown {
    this.close();
    if (this.timedOut) {
      return new DriverError(
        "The upstream agent did not answer in time.",
        `no response or event from ${safeUrl(this.options.url)} within ${this.options.timeoutMs} ms`,
        "model_unavailable",
      );
    }
    // The turn was cancelled (or the process stops): the runner knows why.
    return this.signal.reason ?? new Error("aborted");
  }
}

/**
 * The response with a body whose failure is reported to `onError` and then
 * surfaces as an AbortError. HttpAgent cancels the body's reader when its
 * stream ends and rethrows any rejection that is not an AbortError; a body
 * that broke (the agent's process died mid-run) rejects that cancel with the
 * network error, which would be an unhandled rejection and stop the server.
 */
function guardBody(response: Response, onError: (error: unknown) => void): Response {
  if (!response.ok || !response.body) return response;
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        onError(error);
        controller.error(new DOMException("the upstream response broke off", "AbortError"));
      }
    },
    cancel: (reason) => reader.cancel(reason).catch(() => {}),
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

const BROKE_OFF = "The upstream agent's stream broke off before the run finished.";

/** HttpAgent's failures: HTTP errors carry `status` (and the body in the message), network errors are fetch's TypeError. */
function toDriverError(error: unknown, answered: boolean): DriverError {
  if (error instanceof DriverError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const detail = (error instanceof Error ? `${message}${causeChain(message, error.cause)}` : message).slice(0, 1000);
  const status = (error as { status?: unknown })?.status;
  if (typeof status === "number") {
    if (status === 404) return new DriverError("The upstream agent was not found (HTTP 404).", detail, "model_unavailable");
    if (status === 502 || status === 503 || status === 504) return new DriverError(`The upstream agent is unavailable (HTTP ${status}).`, detail, "model_unavailable");
    if (status === 401 || status === 403) return new DriverError(`The upstream agent rejected the credentials (HTTP ${status}).`, detail);
    if (status >= 500) return new DriverError(`The upstream agent failed (HTTP ${status}).`, detail);
    return new DriverError(`The upstream agent rejected the request (HTTP ${status}).`, detail);
  }
  if (error instanceof TypeError) {
    return answered ? new DriverError(BROKE_OFF, detail) : new DriverError("The upstream agent could not be reached.", detail, "model_unavailable");
  }
  if (error instanceof AGUIError) return new DriverError("The upstream agent broke the AG-UI protocol.", detail);
  return new DriverError("The upstream agent call failed.", detail);
}

/** The URL without credentials or query (which may hold a token). */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "the upstream agent";
  }
}
