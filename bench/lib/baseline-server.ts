// How every baseline process serves: listen on PORT (0: any) on loopback,
// print `{"benchReady":"http://…"}` for the runner (BASELINE_READY in
// processes.ts), and on SIGTERM close its connections, release what it holds,
// and exit.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

export function serveBaseline(server: Server, release: () => unknown = () => undefined): void {
  server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ benchReady: `http://127.0.0.1:${port}` })}\n`);
  });
  process.on("SIGTERM", () => {
    server.closeAllConnections();
    server.close();
    void Promise.resolve()
      .then(release)
      .finally(() => process.exit(0));
  });
}
