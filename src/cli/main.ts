/**
 * Entry point of the `mlp` CLI. Command definitions are cheap; each action imports the core
 * module it needs lazily so that `mlp --version` and `mlp status` start fast.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode, MlpError, fileSystemError } from '../errors.js';
import { registerPipelineCommands } from './pipeline-commands.js';
import { registerDataCommands } from './data-commands.js';
import { registerImportCommands } from './import-commands.js';
import { registerParamsMetricsCommands } from './params-metrics-commands.js';
import { registerHookCommands } from './hook-commands.js';
import { registerRemoteCommands } from './remote-commands.js';
import { registerRepoCommands } from './repo-commands.js';
import { registerExpCommands } from './exp-commands.js';
import { registerServeCommand } from './serve-command.js';
import { registerMonitorCommand } from './monitor-command.js';
import { registerImageCommands } from './image-commands.js';
import { registerDeployCommands } from './deploy-commands.js';
import { registerTrackCommands } from './track-commands.js';
import { registerPlotsCommands } from './plots-commands.js';
import { registerMigrateCommand } from './migrate-command.js';
import { mlpVersion } from '../version.js';
import { closest } from '../util/suggest.js';
// The built-in stages define their own commands; main mounts them like the others.
import { registerTextCommands } from '../../stages/text/commands.js';
import { registerCifar10Commands } from '../../stages/cifar10/commands.js';

export function buildProgram(): Command {
  const program = new Command('mlp')
    .description('Git-native pipeline runner for machine learning')
    .version(mlpVersion(), '-V, --version')
    .option('-q, --quiet', 'print only errors (built-in stage commands)')
    .option('-v, --verbose', 'print more detail, including stack traces on errors')
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerPipelineCommands(program);
  registerDataCommands(program);
  registerImportCommands(program);
  registerTextCommands(program);
  registerCifar10Commands(program);
  registerParamsMetricsCommands(program);
  registerHookCommands(program);
  registerRemoteCommands(program);
  registerRepoCommands(program);
  registerExpCommands(program);
  registerServeCommand(program);
  registerMonitorCommand(program);
  registerImageCommands(program);
  registerDeployCommands(program);
  registerTrackCommands(program);
  registerPlotsCommands(program);
  registerMigrateCommand(program);
  for (const command of program.commands) command.exitOverride();
  for (const command of [program, ...program.commands]) {
    if (command.commands.length > 0) {
      command.on('command:*', (operands: string[]) => {
        throw unknownCommand(command, operands[0] ?? '');
      });
    }
  }
  return program;
}

/**
 * `mlp stauts` → "did you mean 'status'?"; `mlp exp` (a DVC command mlp lacks) → a plain "unknown
 * command". Commander's own suggestion is too generous for short names (it offered `help` for
 * `exp`), so the threshold is `closest`'s: a third of the name's length in edits.
 */
function unknownCommand(parent: Command, name: string): MlpError {
  const names = parent.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  const suggestion = closest(name, [...names, 'help']);
  const prefix = parent.parent ? `mlp ${parent.name()}` : 'mlp';
  return new MlpError(`unknown command '${name}'${parent.parent ? ` for '${prefix}'` : ''}`, {
    hint: suggestion ? `did you mean '${prefix} ${suggestion}'?` : `run \`${prefix} --help\` to see the commands`,
    exitCode: ExitCode.usage,
  });
}

export async function main(argv: string[]): Promise<number> {
  // `mlp status | head`: a reader that stops early is not an error. The command still runs to
  // its end with its output dropped — exiting here would leave the repository lock and
  // half-written outputs of `mlp repro | head` behind.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.stdout.write = (() => true) as typeof process.stdout.write;
  });
  // A closed stderr (`2>&-`, a reader gone) loses the message, not the exit code: without this
  // listener the EPIPE became an uncaught error and every failure exited 1.
  process.stderr.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  const program = buildProgram();
  if (argv.length <= 2) {
    // `mlp` alone does what `git` alone does: the usage on stdout, exit 1 (nothing was done).
    process.stdout.write(program.helpInformation());
    return ExitCode.failure;
  }
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    return reportError(error, program.opts<{ verbose?: boolean }>().verbose === true);
  }
}

function reportError(thrown: unknown, verbose: boolean): number {
  // A file-system failure that no core module put into words (EACCES, ENOSPC, …): say it here.
  const error = fileSystemError(thrown) ?? thrown;
  if (error instanceof CommanderError) {
    // Commander already printed its message (or help / version output).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.ok;
    if (error.code === 'commander.help') return ExitCode.ok;
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof MlpError) {
    process.stderr.write(`error: ${error.message}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    if (verbose && error.cause) process.stderr.write(`cause: ${String((error.cause as Error).stack ?? error.cause)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? (verbose ? (error.stack ?? error.message) : error.message) : String(error);
  process.stderr.write(`error: ${message}\n`);
  return ExitCode.failure;
}
