/** `mlp config`, `doctor`, `list`/`ls`: the repository's settings, environment and contents. */
import { Option, type Command } from 'commander';
import { ExitCode, MlpError } from '../errors.js';
import { print, printJson, withRepo } from './context.js';

interface ConfigFlags {
  local?: boolean;
  project?: boolean;
  unset?: boolean;
  list?: boolean;
  json?: boolean;
}

export function registerRepoCommands(program: Command): void {
  program
    .command('config')
    .description('get or set a setting, like `git config` (core.jobs, core.remote, cache.type, remotes.<name>.<option>)')
    .argument('[key]', 'section.name, e.g. core.jobs')
    .argument('[value]', 'the new value (YAML: 4, true, [reflink, copy])')
    .addOption(new Option('--local', 'use .mlp/config.local.yaml (not committed: credentials, machine settings)').conflicts('project'))
    .option('--project', 'use .mlp/config.yaml only (the default for writing; reading merges both)')
    .option('-u, --unset', 'remove the key')
    .option('-l, --list', 'list every setting')
    .option('--json', 'print JSON (with --list or a key)')
    .action(async (key: string | undefined, value: string | undefined, flags: ConfigFlags) => {
      process.exitCode = await runConfig(key, value, flags);
    });

  program
    .command('doctor')
    .description('show versions, platform, cache link types and remotes (for bug reports)')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const { Repo } = await import('../repo/repo.js');
      const { doctor } = await import('../repo/doctor.js');
      let repo: InstanceType<typeof Repo> | undefined;
      try {
        repo = Repo.find();
      } catch {
        repo = undefined;
      }
      const report = doctor(repo);
      if (flags.json) {
        printJson(report);
        return;
      }
      const lines = [`mlp ${report.mlp}`, '', `Platform: Node ${report.node} on ${report.platform}`, `Git: ${report.git ?? 'not found'}`];
      if (!report.repo) lines.push('Repository: none here (run `mlp init`)');
      else {
        const r = report.repo;
        lines.push(
          `Repository: ${r.root}`,
          `Cache: ${r.cacheDir}`,
          `Cache types: ${r.cacheTypes.join(', ') || '?'} (configured); ${r.supported.join(', ') || 'none'} (supported here); checkouts use ${r.effective ?? 'nothing that works: set cache.type'}`,
          `Remotes: ${r.remotes.length === 0 ? 'none' : r.remotes.map((x) => `${x.name}${x.default ? ' (default)' : ''} ${x.kind} ${x.url}`).join('; ')}`,
        );
        if (r.configProblem) lines.push(`Config problem: ${r.configProblem}`);
      }
      print(lines.join('\n'));
    });

  program
    .command('check-ignore')
    .description('say which paths .mlpignore leaves out of tracked directories (exit 0 if any, 1 if none)')
    .argument('<paths...>', 'paths to check')
    .option('-d, --details', 'show the .mlpignore file, line and pattern that decided each path')
    .option('-n, --non-matching', 'with -d: also list paths no pattern matched')
    .option('--json', 'print JSON')
    .action(async (paths: string[], flags: { details?: boolean; nonMatching?: boolean; json?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { checkIgnore } = await import('../hash/mlpignore.js');
        const results = checkIgnore(repo.root, paths.map((target) => ({ target, rel: repo.relativeOrRoot(target) })));
        if (flags.json) printJson(results);
        else {
          for (const r of results) {
            // As `git check-ignore -v`: a negated rule that matched is shown with -d, since it decided.
            if (flags.details && (r.rule || flags.nonMatching)) print(`${r.rule ? `${r.rule.file}:${r.rule.line}:${r.rule.pattern}` : '::'}\t${r.target}`);
            else if (!flags.details && r.ignored) print(r.target);
          }
        }
        process.exitCode = results.some((r) => r.ignored) ? ExitCode.ok : ExitCode.failure;
      });
    });

  program
    .command('list')
    .alias('ls')
    .description('list repository contents: files git tracks and data mlp tracks (present or not); of this repository, or of another one by git URL')
    .argument('[url-or-path]', 'a directory or file in this repository (default: the root), or the git URL (or path) of another repository')
    .argument('[path]', 'with a URL: a directory or file in that repository')
    .option('-R, --recursive', 'list every file below, not only direct children')
    .option('--mlp-only', 'only what mlp tracks (stage outputs and .mlp data)')
    .option('--rev <rev>', 'with a URL: a branch, tag or commit of that repository')
    .option('--json', 'print JSON')
    .action(async (first: string | undefined, second: string | undefined, flags: { recursive?: boolean; mlpOnly?: boolean; json?: boolean; rev?: string }) => {
      const options = { recursive: flags.recursive === true, mlpOnly: flags.mlpOnly === true };
      const { isRepositoryUrl } = await import('../git/clone.js');
      let entries;
      if (first !== undefined && (second !== undefined || flags.rev !== undefined || isRepositoryUrl(first))) {
        const { listRemoteRepo } = await import('../remote/repo-import.js');
        entries = await listRemoteRepo(first, second, { ...options, rev: flags.rev });
      } else {
        entries = await withRepo(undefined, async (repo) => (await import('../data/list.js')).listRepo(repo, first ?? '.', options));
      }
      if (flags.json) {
        printJson(entries);
        return;
      }
      const { formatBytes } = await import('../ui/render.js');
      const width = Math.max(...entries.map((e) => e.path.length + (e.type === 'dir' ? 1 : 0)));
      for (const e of entries) {
        const name = `${e.path}${e.type === 'dir' ? '/' : ''}`.padEnd(width);
        const detail = e.tracked === 'mlp' ? `mlp  ${e.size === undefined ? '' : `${formatBytes(e.size)}  `}(${e.source})` : 'git';
        print(`${name}  ${detail}`);
      }
    });
}

async function runConfig(key: string | undefined, value: string | undefined, flags: ConfigFlags): Promise<number> {
  // No withRepo: it loads the configuration first, and `config` must be able to fix a broken one.
  const { Repo } = await import('../repo/repo.js');
  const { configGet, configList, configSet, configUnset, isSecretKey } = await import('../repo/config-edit.js');
  const repo = Repo.find();
  const readScope = flags.local ? 'local' : flags.project ? 'project' : 'merged';
  const writeScope = flags.local ? 'local' : 'project';
  const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
  if (flags.list) {
    if (key !== undefined) throw new MlpError('--list takes no key', { hint: 'run `mlp config --list`, or `mlp config <key>` for one value', exitCode: ExitCode.usage });
    const entries = configList(repo.mlpDir, readScope);
    // A listing is for reading over a shoulder: credentials are masked (ask for one by name to see it).
    const masked = entries.map((e) => (isSecretKey(e.key) ? { ...e, value: '***' } : e));
    if (flags.json) printJson(Object.fromEntries(masked.map((e) => [e.key, e.value])));
    else for (const e of masked) print(`${e.key}=${show(e.value)}`);
    return ExitCode.ok;
  }
  if (key === undefined) throw new MlpError('name a key, or pass --list', { hint: 'e.g. `mlp config core.jobs 4`, `mlp config --list`', exitCode: ExitCode.usage });
  if (flags.unset) {
    if (value !== undefined) throw new MlpError('--unset takes no value', { exitCode: ExitCode.usage });
    if (!configUnset(repo.mlpDir, key, writeScope)) {
      process.stderr.write(`${key} is not set in .mlp/${writeScope === 'local' ? 'config.local.yaml' : 'config.yaml'}\n`);
      return ExitCode.failure;
    }
    return ExitCode.ok;
  }
  if (value !== undefined) {
    configSet(repo.mlpDir, key, value, writeScope);
    return ExitCode.ok;
  }
  const current = configGet(repo.mlpDir, key, readScope);
  if (current === undefined) {
    // As `git config <key>`: nothing on stdout and exit 1, so scripts can test for it.
    process.stderr.write(`${key} is not set\n`);
    return ExitCode.failure;
  }
  if (flags.json) printJson(current);
  else print(show(current));
  return ExitCode.ok;
}
