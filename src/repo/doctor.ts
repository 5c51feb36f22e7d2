/**
 * `mlp doctor` (DVC's `dvc doctor`): what to paste into a bug report — versions, platform, the
 * repository, which link types the cache's file system supports, and the remotes configured.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runGit } from '../git/git.js';
import { remoteKindOf, type LinkType } from '../schema/config.js';
import { tempOwnerTag } from '../util/temp-files.js';
import { mlpVersion } from '../version.js';
import { linkTypes } from './config.js';
import type { Repo } from './repo.js';

export interface DoctorReport {
  mlp: string;
  node: string;
  platform: string;
  git: string | undefined;
  repo?: {
    root: string;
    cacheDir: string;
    /** `cache.type`, in order of preference. */
    cacheTypes: LinkType[];
    /** What the cache's file system supports, tried with a scratch file. */
    supported: LinkType[];
    /** The link type checkouts will use: the first configured one that is supported. */
    effective: LinkType | undefined;
    remotes: { name: string; kind: string; url: string; default: boolean }[];
    /** A configuration that does not load: the rest is still reported. */
    configProblem?: string;
  };
}

export function doctor(repo: Repo | undefined): DoctorReport {
  const gitVersion = safe(() => {
    const result = runGit(process.cwd(), ['--version']);
    return result.code === 0 ? result.stdout.toString('utf8').trim().replace(/^git version /, '') : undefined;
  });
  const report: DoctorReport = {
    mlp: mlpVersion(),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    git: gitVersion,
  };
  if (!repo) return report;
  const supported = probeLinkTypes(repo.tmpDir);
  let configured: LinkType[] = [];
  let remotes: NonNullable<DoctorReport['repo']>['remotes'] = [];
  let configProblem: string | undefined;
  try {
    configured = linkTypes(repo.config);
    const def = repo.config.core?.remote;
    remotes = Object.entries(repo.config.remotes ?? {})
      .map(([name, options]) => {
        const url = typeof options.url === 'string' ? withoutCredentials(options.url) : '(no url)';
        return { name, kind: typeof options.url === 'string' ? safe(() => remoteKindOf(options.url as string)) ?? '?' : '?', url, default: name === def };
      })
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch (error) {
    configProblem = error instanceof Error ? error.message : String(error);
  }
  report.repo = {
    root: repo.root,
    cacheDir: repo.cacheDir,
    cacheTypes: configured,
    supported,
    effective: configured.find((t) => supported.includes(t)),
    remotes,
    ...(configProblem ? { configProblem } : {}),
  };
  return report;
}

/** `https://user:secret@host/x` → `https://host/x`: a report is pasted into issues. */
function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** Tries each link type between two scratch files in `dir` (next to the cache, on its file system). */
function probeLinkTypes(dir: string): LinkType[] {
  const supported: LinkType[] = [];
  let scratch: string | undefined;
  try {
    fs.mkdirSync(dir, { recursive: true });
    scratch = fs.mkdtempSync(path.join(dir, `doctor-${tempOwnerTag()}-`));
    const source = path.join(scratch, 'source');
    fs.writeFileSync(source, 'mlp doctor\n');
    const tries: [LinkType, (dest: string) => void][] = [
      ['reflink', (dest) => fs.copyFileSync(source, dest, fs.constants.COPYFILE_FICLONE_FORCE)],
      ['hardlink', (dest) => fs.linkSync(source, dest)],
      ['symlink', (dest) => fs.symlinkSync(source, dest)],
      ['copy', (dest) => fs.copyFileSync(source, dest)],
    ];
    for (const [type, make] of tries) {
      try {
        make(path.join(scratch, type));
        supported.push(type);
      } catch {
        // Not supported here.
      }
    }
  } catch {
    // The temp directory cannot be written: nothing is known to work.
  } finally {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  }
  return supported;
}
