/** `mlp remote add|list|remove|default|modify|verify`, `push`, `pull`, `fetch`. */
import type { Command } from 'commander';
import { ExitCode, MlpError } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import type { TransferProgress, TransferSummary } from '../remote/transfer.js';
import { isSameOrInside } from '../util/fs.js';
import { commandLine, print, printJson, withRepo } from './context.js';
import { parsePositiveInt } from './options.js';

interface TransferFlags {
  remote?: string;
  jobs?: number;
  json?: boolean;
  runCache?: boolean;
  force?: boolean;
}

export function registerRemoteCommands(program: Command): void {
  const remote = program.command('remote').description('configure remotes: where push and pull send and get data');

  remote
    .command('add')
    .description('add a remote: ssh://[user@]host[:port]/path, s3://bucket/prefix, or a local directory')
    .argument('<name>', 'a name for the remote')
    .argument('<url>', 'where it is')
    .option('-d, --default', 'make it the default remote')
    .option('--local', 'write to .mlp/config.local.yaml (not committed)')
    .option('-f, --force', 'replace an existing remote of that name')
    .action(async (name: string, url: string, flags: { default?: boolean; local?: boolean; force?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { ConfigFileEditor, parseRemoteUrl } = await import('../remote/remote-config.js');
        if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
          throw new MlpError(`invalid remote name '${name}'`, { hint: 'use letters, digits, ".", "_" and "-"', exitCode: ExitCode.usage });
        }
        const location = parseRemoteUrl(url, repo.root);
        if (repo.config.remotes?.[name] && !flags.force) {
          throw new MlpError(`remote '${name}' already exists`, { hint: `pass -f to replace it, or change it with \`mlp remote modify ${name} url <url>\``, exitCode: ExitCode.usage });
        }
        const editor = ConfigFileEditor.for(repo.mlpDir, flags.local === true);
        editor.set(['remotes', name], { url });
        if (flags.default) editor.set(['core', 'remote'], name);
        editor.save();
        print(`Added remote '${name}' (${location.kind}: ${url})${flags.default ? ' as the default' : ''} to .mlp/${flags.local ? 'config.local.yaml' : 'config.yaml'}.`);
      });
    });

  remote
    .command('list')
    .description('list the configured remotes')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { remoteNames } = await import('../remote/remote-config.js');
        const names = remoteNames(repo.config);
        const def = repo.config.core?.remote;
        const rows = names.map((n) => ({ name: n, url: String(repo.config.remotes?.[n]?.url ?? ''), default: n === def }));
        if (flags.json) printJson(rows);
        else if (rows.length === 0) print('No remotes. Add one with `mlp remote add -d <name> <url>`.');
        else {
          const width = Math.max(...rows.map((r) => r.name.length));
          for (const r of rows) print(`${r.name.padEnd(width)}  ${r.url}${r.default ? '  (default)' : ''}`);
        }
      });
    });

  remote
    .command('remove')
    .description('remove a remote (from config.yaml and config.local.yaml)')
    .argument('<name>')
    .action(async (name: string) => {
      await withRepo(undefined, async (repo) => {
        const { ConfigFileEditor } = await import('../remote/remote-config.js');
        let found = false;
        for (const local of [false, true]) {
          const editor = ConfigFileEditor.for(repo.mlpDir, local);
          let changed = editor.delete(['remotes', name]);
          found ||= changed;
          if (editor.get(['core', 'remote']) === name) changed = editor.delete(['core', 'remote']) || changed;
          if (changed) editor.save();
        }
        if (!found) throw new MlpError(`remote '${name}' is not configured`, { hint: 'see `mlp remote list`', exitCode: ExitCode.usage });
        print(`Removed remote '${name}'.`);
      });
    });

  remote
    .command('default')
    .description('set (or show) the default remote')
    .argument('[name]')
    .option('--local', 'write to .mlp/config.local.yaml (not committed)')
    .option('--unset', 'remove the default')
    .action(async (name: string | undefined, flags: { local?: boolean; unset?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { ConfigFileEditor } = await import('../remote/remote-config.js');
        const editor = ConfigFileEditor.for(repo.mlpDir, flags.local === true);
        if (flags.unset) {
          editor.delete(['core', 'remote']);
          editor.save();
          print('Unset the default remote.');
          return;
        }
        if (name === undefined) {
          const current = repo.config.core?.remote;
          print(current ?? 'No default remote.');
          return;
        }
        if (!repo.config.remotes?.[name]) {
          throw new MlpError(`remote '${name}' is not configured`, { hint: 'add it first with `mlp remote add <name> <url>`', exitCode: ExitCode.usage });
        }
        editor.set(['core', 'remote'], name);
        editor.save();
        print(`Default remote: ${name}.`);
      });
    });

  remote
    .command('modify')
    .description('set an option of a remote (secrets only with --local)')
    .argument('<name>')
    .argument('<option>', 'url, jobs; ssh: user, port, key_file, known_hosts, password_env, timeout; s3: endpoint_url, region, profile, path_style, checksum, part_size, access_key_id, secret_access_key')
    .argument('[value]')
    .option('--local', 'write to .mlp/config.local.yaml (not committed)')
    .option('--unset', 'remove the option')
    .action(async (name: string, option: string, value: string | undefined, flags: { local?: boolean; unset?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { ConfigFileEditor, REMOTE_OPTIONS, SECRET_OPTIONS, parseOptionValue, parseRemoteUrl } = await import('../remote/remote-config.js');
        const existing = repo.config.remotes?.[name];
        if (!existing) throw new MlpError(`remote '${name}' is not configured`, { hint: 'see `mlp remote list`', exitCode: ExitCode.usage });
        const kind = parseRemoteUrl(option === 'url' && value ? value : String(existing.url ?? ''), repo.root).kind;
        if (!REMOTE_OPTIONS[kind].includes(option)) {
          throw new MlpError(`unknown option '${option}' for ${kind} remote '${name}'`, { hint: `options: ${REMOTE_OPTIONS[kind].join(', ')}`, exitCode: ExitCode.usage });
        }
        if (SECRET_OPTIONS.has(option) && !flags.local && !flags.unset) {
          throw new MlpError(`${option} is a secret and may not go into the committed config.yaml`, {
            hint: `add --local to write it to .mlp/config.local.yaml (or use the environment: AWS_*, MLP_SSH_PASSWORD)`,
            exitCode: ExitCode.usage,
          });
        }
        const editor = ConfigFileEditor.for(repo.mlpDir, flags.local === true);
        if (flags.unset) {
          if (!editor.delete(['remotes', name, option])) print(`${option} was not set in ${flags.local ? 'config.local.yaml' : 'config.yaml'}.`);
          else print(`Unset ${option} of remote '${name}'.`);
          editor.save();
          return;
        }
        if (value === undefined) throw new MlpError(`no value given for ${option}`, { hint: `mlp remote modify ${name} ${option} <value>`, exitCode: ExitCode.usage });
        editor.set(['remotes', name, option], parseOptionValue(option, value));
        editor.save();
        print(`Set ${option} of remote '${name}'${SECRET_OPTIONS.has(option) ? '' : ` to ${value}`} in .mlp/${flags.local ? 'config.local.yaml' : 'config.yaml'}.`);
      });
    });

  remote
    .command('verify')
    .description('download and hash the objects the workspace records on a remote; report damaged or missing ones (--repair fixes them)')
    .argument('[targets...]', 'stages, outputs or tracked paths (default: everything recorded)')
    .option('-r, --remote <name>', 'remote to check (default: core.remote)')
    .option('-j, --jobs <n>', 'objects in flight (default: sized for the remote)', parsePositiveInt)
    .option('-A, --all-commits', 'also the objects recorded at every git commit')
    .option('--repair', 'upload good local copies over damaged or missing objects; delete damaged ones that have no good copy here')
    .option('--json', 'print a JSON report')
    .action(async (targets: string[], flags: VerifyFlags) => {
      process.exitCode = await runVerify(targets, flags);
    });

  const transferCommand = (name: 'push' | 'pull' | 'fetch', description: string): Command =>
    program
      .command(name)
      .description(description)
      .argument('[targets...]', 'stages, outputs or tracked paths (default: everything recorded)')
      .option('-r, --remote <name>', 'remote to use (default: core.remote)')
      .option('-j, --jobs <n>', 'objects in flight (default: sized for the remote)', parsePositiveInt)
      .option('--run-cache', 'transfer the run-cache entries too')
      .option('--json', 'print a JSON summary');

  transferCommand('push', 'send the cached data of the targets to a remote (only what it lacks)').action(async (targets: string[], flags: TransferFlags) => {
    process.exitCode = await runTransfer('push', targets, flags);
  });
  transferCommand('fetch', 'get the data of the targets from a remote into the cache (not the workspace)').action(async (targets: string[], flags: TransferFlags) => {
    process.exitCode = await runTransfer('fetch', targets, flags);
  });
  transferCommand('pull', 'fetch the data of the targets from a remote, then check it out into the workspace')
    .option('-f, --force', 'also overwrite and delete files whose content is not in the cache (discards unsaved changes)')
    .action(async (targets: string[], flags: TransferFlags) => {
    process.exitCode = await runTransfer('pull', targets, flags);
  });
}

async function runTransfer(command: 'push' | 'pull' | 'fetch', targets: string[], flags: TransferFlags): Promise<number> {
  return withRepo(commandLine(), async (repo) => {
    const { push, fetch, newProgress } = await import('../remote/transfer.js');
    const progress = newProgress();
    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let remoteName = flags.remote;
    let stopProgress = (): void => {};
    let summary: TransferSummary;
    let checkout: { restored: number; unchanged: number; unavailable: number; kept: number; problems: { path: string; message: string }[] } | undefined;
    let checkoutItems: import('../data/checkout-workspace.js').CheckoutItem[] = [];
    try {
      const { backend, spec } = await openRemote(repo, flags.remote);
      remoteName = spec.name;
      stopProgress = await showProgress(command, progress, flags.json === true);
      try {
        const options = { jobs: flags.jobs, runCache: flags.runCache === true, progress, signal: controller.signal };
        summary = command === 'push' ? await push(repo, backend, targets, options) : await fetch(repo, backend, targets, options);
        if (command === 'pull') {
          progress.phase = 'checkout';
          const { checkoutWorkspace } = await import('../data/checkout-workspace.js');
          const items = checkoutWorkspace(repo, targets, { force: flags.force === true });
          checkoutItems = items;
          const problems = items.filter((i) => i.outcome === 'missing' || i.outcome === 'failed');
          checkout = {
            restored: items.filter((i) => i.outcome === 'restored').length,
            unchanged: items.filter((i) => i.outcome === 'unchanged').length,
            unavailable: problems.length,
            kept: items.filter((i) => i.outcome === 'unsaved').length,
            problems: problems.map((i) => ({ path: i.path, message: i.message ?? `${i.path} could not be checked out` })),
          };
        }
      } finally {
        stopProgress();
        await backend.close();
      }
    } catch (error) {
      // --json promises JSON on stdout whatever happens; the error itself goes to stderr too.
      if (flags.json) {
        const e = error instanceof MlpError ? error : undefined;
        printJson({
          command,
          remote: remoteName ?? null,
          ok: false,
          error: { message: error instanceof Error ? error.message : String(error), hint: e?.hint ?? null, exitCode: e?.exitCode ?? ExitCode.failure },
          transferred: progress.files,
          bytes: progress.bytes,
        });
      }
      throw error;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const { formatBytes, formatRate } = await import('../ui/render.js');
    const unsaved = checkoutItems.filter((i) => i.outcome === 'unsaved').map((i) => ({ path: i.path, source: i.source, files: i.files ?? [] }));
    const checkoutFailed = (checkout?.unavailable ?? 0) > 0;
    const ok = summary.failures.length === 0 && !checkoutFailed;
    if (flags.json) printJson({ command, ...summary, remote: remoteName, url: summary.remote, ok, checkout, ...(unsaved.length ? { unsaved } : {}) });
    else {
      const verb = command === 'push' ? 'Pushed' : 'Fetched';
      const where = command === 'push' ? `to '${remoteName}'` : `from '${remoteName}'`;
      const already = command === 'push' ? 'already on the remote' : 'already in the cache';
      const rate = summary.seconds > 0 && summary.bytes > 0 ? `, ${formatRate(summary.bytes / summary.seconds)}` : '';
      print(`${verb} ${summary.transferred} objects (${formatBytes(summary.bytes)}) ${where} in ${summary.seconds.toFixed(1)} s${rate}; ${summary.upToDate} ${already}.`);
      if (summary.runCacheEntries > 0) print(`${command === 'push' ? 'Sent' : 'Received'} ${summary.runCacheEntries} run-cache entries.`);
      if (checkout) print(`Checkout: ${checkout.restored} restored, ${checkout.unchanged} unchanged, ${checkout.unavailable} not available${checkout.kept ? `, ${checkout.kept} kept (unsaved changes)` : ''}.`);
      const { renderUnsaved } = await import('../ui/unsaved.js');
      for (const line of renderUnsaved(checkoutItems, ['mlp pull --force', ...targets].join(' '))) process.stderr.write(`${line}\n`);
    }
    if (ok) return unsaved.length > 0 ? ExitCode.unsavedChanges : ExitCode.ok;
    // A path that could not be fetched cannot be checked out either: say it once.
    const unfetched = summary.failures.map((f) => f.path);
    const checkoutOnly = (checkout?.problems ?? []).filter((p) => !unfetched.some((f) => isSameOrInside(f, p.path) || isSameOrInside(p.path, f)));
    const messages = [...summary.failures.map((f) => f.message), ...checkoutOnly.map((p) => p.message)];
    const shown = messages.slice(0, 20);
    for (const m of shown) process.stderr.write(`error: ${m}\n`);
    if (messages.length > shown.length) process.stderr.write(`error: … and ${messages.length - shown.length} more\n`);
    const reasons = new Set(summary.failures.map((f) => f.reason));
    if (reasons.has('corrupted-local')) {
      process.stderr.write(
        'hint: nothing damaged was sent; if the workspace still holds the right data, `mlp commit` (stage outputs and tracked data) or `mlp add <path>` stores it again; otherwise `mlp repro -f` the stage or pull a good copy from another remote; then push again\n',
      );
    } else if (reasons.has('corrupted-remote')) {
      process.stderr.write('hint: nothing corrupted entered the local cache; `mlp remote verify --repair` on a machine whose cache has good copies fixes the remote\n');
    } else if (reasons.has('missing-remote')) {
      process.stderr.write('hint: push the data from the machine that produced it (`mlp push`), or rebuild it with `mlp repro`\n');
    } else if (reasons.has('missing-local')) {
      process.stderr.write('hint: the cache lacks that data: `mlp pull` it from another remote or rebuild it with `mlp repro`, then push again\n');
    } else if (checkoutFailed) {
      process.stderr.write('hint: rerun `mlp pull` (a damaged cache object was removed and is fetched again), or rebuild the data with `mlp repro`\n');
    }
    return ExitCode.failure;
  });
}

interface VerifyFlags {
  remote?: string;
  jobs?: number;
  allCommits?: boolean;
  repair?: boolean;
  json?: boolean;
}

async function runVerify(targets: string[], flags: VerifyFlags): Promise<number> {
  return withRepo(commandLine(), async (repo) => {
    const { verifyRemote } = await import('../remote/verify.js');
    const { newProgress } = await import('../remote/transfer.js');
    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const progress = newProgress();
    const { backend, spec } = await openRemote(repo, flags.remote);
    const stopProgress = await showProgress('verify', progress, flags.json === true);
    let summary;
    try {
      summary = await verifyRemote(repo, backend, targets, { jobs: flags.jobs, allCommits: flags.allCommits === true, repair: flags.repair === true, signal: controller.signal, progress });
    } finally {
      stopProgress();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await backend.close();
    }
    const unresolved = summary.problems.filter((p) => p.repair !== 'uploaded');
    if (flags.json) {
      printJson({ ...summary, remote: spec.name, url: summary.remote, ok: unresolved.length === 0 });
    } else {
      const width = Math.max(0, ...summary.problems.map((p) => p.path.length));
      const done = { uploaded: 'repaired: uploaded the good local copy', deleted: 'deleted it from the remote: no good copy here', 'not-repaired': 'not repaired: no good copy here' };
      for (const p of summary.problems) {
        const what = `${p.state === 'corrupted' ? 'corrupted' : 'missing'} on the remote (${p.hash.slice(0, 12)})`;
        print(`${p.path.padEnd(width)}  ${what}${p.repair ? `; ${done[p.repair]}` : ''}`);
      }
      if (summary.problems.length === 0) print(`Verified ${summary.checked} objects on '${spec.name}': all good.`);
      else {
        const repaired = flags.repair ? `; ${summary.repaired} repaired, ${summary.deleted} deleted` : '';
        print(`Verified ${summary.checked} objects on '${spec.name}': ${summary.corrupted} corrupted, ${summary.missing} missing${repaired}.`);
      }
    }
    if (unresolved.length === 0) return ExitCode.ok;
    if (!flags.repair) {
      process.stderr.write('hint: run `mlp remote verify --repair` to upload good local copies over them (damaged objects with no good copy here are deleted)\n');
    } else {
      process.stderr.write('hint: push the data from a machine that has it (`mlp push`; `mlp commit` or `mlp add` first if its workspace holds it), or rebuild it with `mlp repro`\n');
    }
    return ExitCode.failure;
  });
}

export async function openRemote(repo: Repo, name: string | undefined) {
  const { resolveRemote } = await import('../remote/remote-config.js');
  const { openBackend } = await import('../remote/open-backend.js');
  const spec = resolveRemote(repo.config, repo.root, name);
  return { spec, backend: await openBackend(spec, repo.root) };
}

/** A spinner with files, bytes and rate on a TTY; a plain line every few seconds otherwise. */
async function showProgress(command: string, progress: TransferProgress, quiet: boolean): Promise<() => void> {
  if (quiet) return () => {};
  const { formatBytes, formatRate } = await import('../ui/render.js');
  const started = Date.now();
  const text = (): string => {
    const seconds = (Date.now() - started) / 1000;
    if (progress.phase === 'collecting' || progress.phase === 'checking') return `${command}: checking what the other side has…`;
    if (progress.phase === 'checkout') return `${command}: checking out…`;
    const rate = formatRate(seconds > 0 ? progress.bytes / seconds : 0);
    const pct = progress.totalBytes > 0 ? ` ${Math.floor((100 * progress.bytes) / progress.totalBytes)}%` : '';
    return `${command}:${pct} ${progress.files}/${progress.totalFiles} files, ${formatBytes(progress.bytes)}/${formatBytes(progress.totalBytes)}, ${rate}`;
  };
  // A terminal that reports no width (some pseudo-terminals) gets plain lines: the spinner's
  // line accounting needs the width.
  if (process.stderr.isTTY && (process.stderr.columns ?? 0) > 0) {
    const { default: ora } = await import('ora');
    // discardStdin false: the spinner must not take over stdin (that can keep the process alive).
    const spinner = ora({ text: text(), stream: process.stderr, discardStdin: false }).start();
    const timer = setInterval(() => (spinner.text = text()), 100);
    return () => {
      clearInterval(timer);
      spinner.stop();
    };
  }
  const timer = setInterval(() => process.stderr.write(`${text()}\n`), 5000);
  timer.unref();
  return () => clearInterval(timer);
}

/** `mlp status --remote`: per recorded path, whether it is in sync with the remote. */
export async function runRemoteStatus(repo: Repo, targets: string[], remoteName: string | undefined, json: boolean): Promise<number> {
  const { remoteStatus } = await import('../remote/transfer.js');
  const { backend, spec } = await openRemote(repo, remoteName);
  let items;
  try {
    items = await remoteStatus(repo, backend, targets);
  } finally {
    await backend.close();
  }
  if (json) {
    printJson({ remote: spec.name, url: spec.url, items });
    return ExitCode.ok;
  }
  const objects = (n: number): string => `${n} object${n === 1 ? '' : 's'}`;
  const describe = (i: (typeof items)[number]): string => {
    switch (i.state) {
      case 'in-sync':
        return 'in sync';
      case 'not-pushed':
        return `new here, not pushed (${objects(i.localOnly)})`;
      case 'not-fetched':
        return `on the remote only (${objects(i.remoteOnly)}): run \`mlp pull\``;
      case 'missing-everywhere':
        return `missing here and on the remote (${objects(i.missing)})`;
      case 'partly':
        return `partly: ${i.localOnly} to push, ${i.remoteOnly} to pull, ${i.missing} missing everywhere`;
    }
  };
  print(`Remote '${spec.name}' (${spec.url}):`);
  if (items.length === 0) print('  nothing recorded yet');
  const width = Math.max(0, ...items.map((i) => i.path.length));
  for (const i of items) print(`  ${i.path.padEnd(width)}  ${describe(i)}`);
  const count = (s: string): number => items.filter((i) => i.state === s).length;
  print(`${count('in-sync')} in sync, ${count('not-pushed') + items.filter((i) => i.state === 'partly' && i.localOnly > 0).length} to push, ${count('not-fetched') + items.filter((i) => i.state === 'partly' && i.remoteOnly > 0).length} to pull, ${count('missing-everywhere')} missing everywhere.`);
  return ExitCode.ok;
}

/** `mlp repro --pull`: fetch what the selected stages need, then let repro decide. */
export async function pullBeforeRepro(repo: Repo, targets: string[], remoteName: string | undefined, single: boolean, runCache: boolean): Promise<void> {
  const { pullForRepro } = await import('../remote/repro-pull.js');
  const { formatBytes } = await import('../ui/render.js');
  const { backend, spec } = await openRemote(repo, remoteName);
  try {
    const { summary, restored } = await pullForRepro(repo, backend, targets, single, { runCache });
    print(`Pulled ${summary.transferred} objects (${formatBytes(summary.bytes)}) from '${spec.name}'${restored.length ? `; restored ${restored.join(', ')}` : ''}.`);
    for (const f of summary.failures) process.stderr.write(`warning: ${f.message}\n`);
  } finally {
    await backend.close();
  }
}
