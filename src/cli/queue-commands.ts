/** `mlp queue start|status|logs|kill|stop|remove`: the experiments `mlp exp run --queue` queued. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { Command } from 'commander';
import { ExitCode, MlpError } from '../errors.js';
import { print, printJson, withRepo } from './context.js';
import { parsePositiveInt } from './options.js';
import { plural } from '../ui/plural.js';

/** This mlp, to start again as a worker or a job. */
export function launcher(): { node: string; script: string } {
  return { node: process.execPath, script: fs.realpathSync(process.argv[1] ?? '') };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function registerQueueCommands(program: Command): void {
  const queue = program.command('queue').description('run the experiments queued with `mlp exp run --queue`, each in its own worktree, in the background');

  queue
    .command('start')
    .description('start a background worker that runs the queued experiments (and those queued later) until the queue is empty')
    .option('-j, --jobs <n>', 'experiments to run at once (default 1)', parsePositiveInt, 1)
    .action(async (flags: { jobs: number }) => {
      await withRepo(undefined, async (repo) => {
        const { listQueue, liveWorker, workerLogFile, queueDir } = await import('../exp/queue.js');
        const queued = listQueue(repo.tmpDir).filter((i) => i.status === 'queued').length;
        const running = liveWorker(repo.tmpDir);
        if (running) {
          print(`A queue worker is already running (pid ${running.pid}, ${running.jobs} at a time): it will run the ${plural(queued, 'queued experiment')}.`);
          return;
        }
        if (queued === 0) {
          print('No queued experiments: queue some with `mlp exp run --queue`.');
          return;
        }
        fs.mkdirSync(queueDir(repo.tmpDir), { recursive: true });
        const log = fs.openSync(workerLogFile(repo.tmpDir), 'a');
        const { node, script } = launcher();
        // Detached, in its own session: the worker and its jobs outlive this terminal.
        const child = spawn(node, [script, 'queue', 'worker', '-j', String(flags.jobs)], { cwd: repo.root, detached: true, stdio: ['ignore', log, log] });
        child.unref();
        fs.closeSync(log);
        print(`Started a queue worker (pid ${child.pid}): ${plural(queued, 'queued experiment')}, ${flags.jobs} at a time, each in its own worktree.`);
        print('Follow them with `mlp queue status` and `mlp queue logs <name> -f`; compare them with `mlp exp show`.');
      });
    });

  queue
    .command('worker', { hidden: true })
    .description('the background worker `queue start` starts')
    .option('-j, --jobs <n>', 'experiments to run at once', parsePositiveInt, 1)
    .action(async (flags: { jobs: number }) => {
      await withRepo(undefined, async (repo) => {
        const { registerWorker, unregisterWorker } = await import('../exp/queue.js');
        const { runWorker } = await import('../exp/queue-job.js');
        if (!registerWorker(repo.tmpDir, flags.jobs)) return; // another worker runs the queue
        const stop = (): void => {
          unregisterWorker(repo.tmpDir);
          process.exit(ExitCode.interrupted); // its jobs run on: they are their own processes
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
        try {
          process.stdout.write(`${new Date().toISOString()} worker ${process.pid} started (${flags.jobs} at a time)\n`);
          const { started } = await runWorker(repo.root, repo.tmpDir, { launcher: launcher(), jobs: flags.jobs });
          process.stdout.write(`${new Date().toISOString()} worker ${process.pid} done: started ${plural(started, 'job')}\n`);
        } finally {
          unregisterWorker(repo.tmpDir);
        }
      });
    });

  queue
    .command('exec', { hidden: true })
    .description('run one queued experiment (the worker starts one such process per job)')
    .argument('<name>')
    .action(async (name: string) => {
      process.exitCode = await withRepo(undefined, async (repo) => {
        const { claimEntry, requireQueueItem } = await import('../exp/queue.js');
        const { runJob } = await import('../exp/queue-job.js');
        const item = requireQueueItem(repo.tmpDir, name);
        if (item.status !== 'queued' || !claimEntry(item)) return ExitCode.ok; // someone else runs it
        const controller = new AbortController();
        const onSignal = (): void => controller.abort();
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
        try {
          const result = await runJob(repo.root, item, { launcher: launcher(), cacheDir: repo.cacheDir, signal: controller.signal });
          return result.status === 'success' ? ExitCode.ok : result.status === 'killed' ? ExitCode.interrupted : ExitCode.stageFailed;
        } finally {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
        }
      });
    });

  queue
    .command('status')
    .description('the queued, running and finished experiments; the last log lines of failed ones')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { listQueue, liveWorker, logTail } = await import('../exp/queue.js');
        const { FAILED_TAIL_LINES, queueStatusJson, renderQueueStatus } = await import('../ui/queue.js');
        const items = listQueue(repo.tmpDir);
        const worker = liveWorker(repo.tmpDir);
        const tail = (i: { logFile: string }): string[] => logTail(i.logFile, FAILED_TAIL_LINES);
        if (flags.json) printJson(queueStatusJson(items, worker, tail));
        else process.stdout.write(renderQueueStatus(items, worker, tail));
      });
    });

  queue
    .command('logs')
    .description("print a queued experiment's log (kept after it ends, failed or not)")
    .argument('<name>', 'the experiment')
    .option('-f, --follow', 'keep printing while it runs, until it ends')
    .action(async (name: string, flags: { follow?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { requireQueueItem } = await import('../exp/queue.js');
        let item = requireQueueItem(repo.tmpDir, name);
        let offset = 0;
        const flush = (): void => {
          let fd: number;
          try {
            fd = fs.openSync(item.logFile, 'r');
          } catch {
            return; // not started yet: no log
          }
          try {
            const size = fs.fstatSync(fd).size;
            if (size <= offset) return;
            const buffer = Buffer.alloc(size - offset);
            fs.readSync(fd, buffer, 0, buffer.length, offset);
            offset = size;
            process.stdout.write(buffer);
          } finally {
            fs.closeSync(fd);
          }
        };
        flush();
        if (!flags.follow) {
          if (offset === 0) print(`(no log yet: '${name}' is ${item.status})`);
          return;
        }
        while (item.status === 'queued' || item.status === 'running') {
          await sleep(200);
          flush();
          item = requireQueueItem(repo.tmpDir, name);
        }
        flush();
      });
    });

  queue
    .command('kill')
    .description('stop running experiments (their stages are stopped; their logs stay)')
    .argument('<names...>', 'the running experiments')
    .action(async (names: string[]) => {
      await withRepo(undefined, async (repo) => {
        const { killQueueItem, requireQueueItem } = await import('../exp/queue.js');
        const items = names.map((n) => requireQueueItem(repo.tmpDir, n));
        const notRunning = items.filter((i) => i.status !== 'running');
        if (notRunning.length > 0) {
          throw new MlpError(`${notRunning.map((i) => `'${i.name}' is ${i.status}`).join(', ')}: only running experiments can be killed`, {
            hint: 'a queued one is removed with `mlp queue remove <name>`',
            exitCode: ExitCode.usage,
          });
        }
        for (const item of items) killQueueItem(item);
        // Wait (a while) for the jobs to record their end, so that what is printed is true.
        for (let waited = 0; waited < 20_000; waited += 200) {
          if (items.every((i) => requireQueueItem(repo.tmpDir, i.name).status !== 'running')) break;
          await sleep(200);
        }
        for (const item of items) print(`${item.name}: ${requireQueueItem(repo.tmpDir, item.name).status}.`);
      });
    });

  queue
    .command('stop')
    .description('let the worker finish the running experiments and start no more (--kill: stop those too)')
    .option('--kill', 'also stop the running experiments')
    .action(async (flags: { kill?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { killQueueItem, listQueue, liveWorker, requestStop } = await import('../exp/queue.js');
        const worker = liveWorker(repo.tmpDir);
        const running = listQueue(repo.tmpDir).filter((i) => i.status === 'running');
        if (worker) requestStop(repo.tmpDir);
        if (flags.kill) for (const item of running) killQueueItem(item);
        if (!worker && running.length === 0) print('No queue worker is running.');
        else if (flags.kill) print(`Stopping the worker and ${plural(running.length, 'running experiment')}; queued ones stay queued.`);
        else print(`The worker starts no new experiments; ${plural(running.length, 'running experiment')} will finish. Queued ones stay queued.`);
      });
    });

  queue
    .command('remove')
    .alias('rm')
    .description('remove entries from the queue (and their logs); running ones must be killed first')
    .argument('[names...]', 'the entries')
    .option('--all', 'every entry that is not running')
    .option('--queued', 'the entries still waiting')
    .option('--success', 'the entries that succeeded (their experiments stay)')
    .option('--failed', 'the entries that failed or were killed')
    .action(async (names: string[], flags: { all?: boolean; queued?: boolean; success?: boolean; failed?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { GitRepo } = await import('../git/git.js');
        const { listQueue, removeQueueItems, requireQueueItem } = await import('../exp/queue.js');
        const selectors = flags.all || flags.queued || flags.success || flags.failed;
        if (names.length === 0 && !selectors) {
          throw new MlpError('name the entries to remove, or give --all, --queued, --success or --failed', { hint: '`mlp queue status` lists them', exitCode: ExitCode.usage });
        }
        if (names.length > 0 && selectors) throw new MlpError('give names or --all/--queued/--success/--failed, not both', { exitCode: ExitCode.usage });
        const items = names.length > 0
          ? names.map((n) => requireQueueItem(repo.tmpDir, n))
          : listQueue(repo.tmpDir).filter((i) =>
              i.status !== 'running' && (flags.all || (flags.queued && i.status === 'queued') || (flags.success && i.status === 'success') || (flags.failed && (i.status === 'failed' || i.status === 'killed'))),
            );
        removeQueueItems(GitRepo.open(repo.root), items);
        print(items.length === 0 ? 'Nothing to remove.' : `Removed ${items.map((i) => i.name).join(', ')} from the queue.`);
      });
    });
}
