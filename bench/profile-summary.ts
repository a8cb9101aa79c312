// Summarises a V8 .cpuprofile (from `npm run bench -- --profile`, or any
// `node --cpu-prof` run): self time by function and by package, and total
// (inclusive) time by function, restricted to the measured load windows the
// bench recorded in `<name>.windows.json` (so server start-up and seeding do
// not dilute the numbers).
//
//   npx tsx bench/profile-summary.ts bench/profiles/reads-pglite.cpuprofile [--window=history] [--top=25]
import { existsSync, readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}
interface Window {
  label: string;
  fromUs: number;
  toUs: number;
}

const args = process.argv.slice(2);
const files = args.filter((a) => !a.startsWith("--"));
const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const top = Number(flag("top") ?? 25);
const onlyWindow = flag("window");
if (files.length === 0) {
  process.stderr.write("usage: npx tsx bench/profile-summary.ts <file.cpuprofile>... [--window=label] [--top=N]\n");
  process.exit(2);
}

const SPECIAL = new Set(["(garbage collector)", "(program)", "(idle)", "(root)"]);

/** Where a frame's code lives: a package, our source, node internals, or V8. */
export function packageOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return SPECIAL.has(frame.functionName) ? frame.functionName : "(native/V8)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const parts = url.slice(nm + "node_modules/".length).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const src = url.indexOf("/src/");
  if (src >= 0) return `parley src/${url.slice(src + 5).split("/").slice(0, -1).join("/") || "."}`;
  const bench = url.indexOf("/bench/");
  if (bench >= 0) return "bench";
  return url.replace(/^file:\/\//, "");
}

const shortUrl = (url: string) => {
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) return url.slice(nm + "node_modules/".length);
  const src = url.indexOf("/src/");
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, "");
};
const frameKey = (f: CallFrame) => `${f.functionName || "(anonymous)"} ${f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : ""}`.trim();

function summarise(profile: Profile, window: Window | null, title: string): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const packages = new Map<string, number>();
  let sampled = 0;
  let idle = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    const dt = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0; // time until the next sample
    const node = byId.get(profile.samples[i]!)!;
    if (node.callFrame.functionName === "(idle)") {
      idle += dt;
      continue;
    }
    sampled += dt;
    const key = frameKey(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + dt);
    const pkg = packageOf(node.callFrame);
    packages.set(pkg, (packages.get(pkg) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const k = frameKey(byId.get(id)!.callFrame);
      if (!seen.has(k)) {
        seen.add(k);
        total.set(k, (total.get(k) ?? 0) + dt);
      }
    }
  }
  const pct = (v: number) => `${((100 * v) / Math.max(1, sampled)).toFixed(1).padStart(5)}%`;
  const ms = (v: number) => `${(v / 1000).toFixed(0).padStart(7)} ms`;
  const list = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${pct(v)} ${ms(v)}  ${k}`);
  const busy = sampled + idle > 0 ? (100 * sampled) / (sampled + idle) : 0;
  return [
    `== ${title}: ${(sampled / 1000).toFixed(0)} ms on CPU, ${(idle / 1000).toFixed(0)} ms idle (${busy.toFixed(0)}% busy)`,
    `-- self time by package`,
    ...list(packages, Number(flag("packages") ?? 15)),
    `-- self time by function (top ${top})`,
    ...list(self, top),
    `-- total (inclusive) time by function, frames from our code and the main libraries (top ${top})`,
    ...[...total]
      .filter(([k]) => !SPECIAL.has(k) && !k.startsWith("(anonymous) node:") && !k.startsWith("processTicksAndRejections") && !k.startsWith("runMicrotasks"))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `  ${pct(v)} ${ms(v)}  ${k}`),
    "",
  ].join("\n");
}

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const sidecar = file.replace(/\.cpuprofile$/, ".windows.json");
  const windows: Window[] = existsSync(sidecar) ? (JSON.parse(readFileSync(sidecar, "utf8")) as Window[]) : [];
  const chosen = onlyWindow ? windows.filter((w) => w.label === onlyWindow) : windows;
  if (chosen.length === 0) process.stdout.write(summarise(profile, null, `${file} (whole profile)`));
  for (const w of chosen) process.stdout.write(summarise(profile, w, `${file} [${w.label}]`));
}
