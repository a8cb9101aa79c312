// One process per PGlite directory: two PGlite instances on one directory
// corrupt it. The lock is a file holding the owner's pid, created exclusively;
// a lock whose process is gone (a crash, SIGKILL) is stale and taken over.
import { openSync, readFileSync, unlinkSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";

export class DataDirLockedError extends Error {}

/**
 * Lock files this process holds. A lock file naming our own pid is otherwise
 * taken for stale (a restarted container reuses its pid), so a second open
 * inside this process must be refused here.
 */
const held = new Set<string>();

export function lockDataDir(dir: string): () => void {
  const path = join(dir, "parley.lock");
  if (held.has(path)) throw new DataDirLockedError(`data directory ${dir} is already open in this process; close it first`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.add(path);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held.delete(path);
        try {
          if (readFileSync(path, "utf8") === String(process.pid)) unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(path, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new DataDirLockedError(`data directory ${dir} is in use by another Parley process (pid ${pid}); stop it first`);
      }
      unlinkSync(path); // stale: its process is gone
    }
  }
  throw new DataDirLockedError(`could not lock data directory ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
