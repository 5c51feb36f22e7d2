/**
 * What mlp placed in the workspace: every tracked path it checked out from the cache or saved
 * into it (`add`, `commit`, stage outputs), with the hash it had then, in `.mlp/tmp/placed.json`.
 *
 * DVC keeps the same record in its state database ("links") for one reason, and so does mlp:
 * after `git checkout other-branch`, the data that only the old branch tracked is still in the
 * workspace, and nothing on the new branch names it any more. `mlp checkout` reads this record
 * to find such paths and remove them (src/data/checkout-workspace.ts) — only what mlp itself put
 * there, and only content the cache holds.
 *
 * A scratch file like state.json: a missing or unreadable record only means nothing is removed;
 * entries whose path or hash is not valid are dropped when loaded, so only `RepoPath`s and
 * `Sha256`s come out of it.
 */
import fs from 'node:fs';
import { isRepoPath, type RepoPath } from '../schema/repo-path.js';
import { isSha256, type Sha256 } from '../schema/sha256.js';
import { writeFileAtomic } from '../util/fs.js';

interface RecordFile {
  version: 1;
  paths: Record<string, string>;
}

export class PlacedRecord {
  private dirty = false;

  private constructor(
    private readonly file: string,
    private readonly paths: Map<RepoPath, Sha256>,
  ) {}

  static load(file: string): PlacedRecord {
    const paths = new Map<RepoPath, Sha256>();
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<RecordFile> | null;
      if (parsed?.version === 1 && typeof parsed.paths === 'object' && parsed.paths !== null) {
        for (const [p, h] of Object.entries(parsed.paths)) if (isRepoPath(p) && isSha256(h)) paths.set(p, h);
      }
    } catch {
      // Missing or unreadable: nothing is known to have been placed.
    }
    return new PlacedRecord(file, paths);
  }

  /** `rel` now holds (or was saved as) `hash`. */
  note(rel: RepoPath, hash: Sha256): void {
    if (this.paths.get(rel) === hash) return;
    this.paths.set(rel, hash);
    this.dirty = true;
  }

  forget(rel: RepoPath): void {
    if (this.paths.delete(rel)) this.dirty = true;
  }

  entries(): [RepoPath, Sha256][] {
    return [...this.paths.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  save(): void {
    if (!this.dirty) return;
    const out: RecordFile = { version: 1, paths: Object.fromEntries(this.entries()) };
    try {
      writeFileAtomic(this.file, `${JSON.stringify(out)}\n`);
      this.dirty = false;
    } catch {
      // A record that cannot be written costs only a removal on some later branch switch.
    }
  }
}
