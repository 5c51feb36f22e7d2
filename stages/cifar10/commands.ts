/**
 * `mlp cifar10 …`: the built-in CIFAR-10 trainer's commands, mounted by src/cli/main.ts. Each
 * action parses its options, calls the stage module and prints what it returns. The stage modules
 * are imported when a command runs: TensorFlow.js takes most of a second to load and must not
 * slow down other commands.
 */
import { Option, type Command } from 'commander';
import { printJson } from '../../src/cli/context.js';
import { isQuiet, parsePositiveInt } from '../../src/cli/options.js';

const backendOption = (): Option =>
  new Option('--backend <name>', 'auto (tfjs-node if installed, else wasm), node, wasm or cpu').choices(['auto', 'node', 'wasm', 'cpu']).default('auto');

export function registerCifar10Commands(program: Command): void {
  const cifar = program.command('cifar10').description('built-in CIFAR-10 CNN trainer (TensorFlow.js)');

  cifar
    .command('prepare')
    .description('read the CIFAR-10 binary archive (URL, .tar.gz or extracted dir) into train/test .npz files')
    .option('--source <url|path>', 'http(s) URL, cifar-10-binary.tar.gz, or an extracted cifar-10-batches-bin directory')
    .requiredOption('--out <dir>', 'output directory (train.npz, test.npz, info.json)')
    .option('--md5 <hex>', 'expected md5 of the archive')
    .option('--sha256 <hex>', 'expected sha256 of the archive')
    .option('--params <file#key>', 'read source/md5/sha256 from a params section, e.g. params.yaml#cifar10')
    .option('--cache-dir <dir>', 'download cache (default $MLP_DOWNLOAD_CACHE or ~/.cache/mlp/downloads)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: PrepareCliOptions, command: Command) => {
      const quiet = isQuiet(command);
      const [{ chooseSource, prepareCifar10 }, { loadCifar10Params }, render, { startProgress }] = await Promise.all([
        import('./prepare.js'),
        import('./params.js'),
        import('./render.js'),
        import('../../src/ui/progress.js'),
      ]);
      const fromParams = opts.params ? await loadCifar10Params(opts.params) : undefined;
      const { source, expected } = chooseSource(opts, fromParams);
      const progress = await startProgress({ mode: quiet ? 'off' : 'auto' });
      let result;
      try {
        result = await prepareCifar10({
          source,
          out: opts.out,
          ...(expected ? { expected } : {}),
          ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
          onDownloadProgress: (p) => progress.update(render.downloadProgressUpdate(p)),
        });
      } finally {
        progress.done();
      }
      if (opts.json) {
        printJson(result);
        return;
      }
      if (!result.verified && result.sourceKind !== 'directory' && !quiet) {
        process.stderr.write('warning: no checksum given; the archive was not verified (pass --md5 or --sha256)\n');
      }
      if (!quiet) process.stdout.write(render.formatPrepareSummary(result, source));
    });

  cifar
    .command('train')
    .description('train the CNN on prepared data and save it in the TensorFlow.js format')
    .requiredOption('--data <dir>', 'directory written by `mlp cifar10 prepare`')
    .requiredOption('--out <dir>', 'model directory (model.json, weights.bin, cifar10.json, history.json)')
    .option('--params <file#key>', 'params section (model, train) (default: params.yaml#cifar10 when that file has the section, else the built-in defaults)')
    .option('--history <file>', 'per-epoch metrics series, .json or .csv (default <out>/history.json)')
    .option('--metrics <file>', 'write a training summary (time, img/s, final accuracies) as JSON')
    .option('--epochs <n>', 'override train.epochs', parsePositiveInt)
    .option('--train-limit <n>', 'override train.train_limit (use the first N images)', parsePositiveInt)
    .addOption(backendOption())
    .option('--json', 'print the result as JSON')
    .action(async (opts: TrainCliOptions, command: Command) => {
      const quiet = isQuiet(command);
      const [{ loadCifar10Params }, render, { startProgress }] = await Promise.all([
        import('./params.js'),
        import('./render.js'),
        import('../../src/ui/progress.js'),
      ]);
      const params = await loadCifar10Params(opts.params);
      if (opts.epochs !== undefined) params.train.epochs = opts.epochs;
      if (opts.trainLimit !== undefined) params.train.train_limit = opts.trainLimit;
      const progress = await startProgress({ mode: quiet ? 'off' : 'auto' });
      // Live curves for a tracked stage (src/tracking/live.ts): one step per epoch.
      const live = (await import('../../src/tracking/live.js')).liveTracker();
      await withTf(async () => {
        const { trainCifar10 } = await import('./train.js');
        let result;
        try {
          result = await trainCifar10({
            dataDir: opts.data,
            outDir: opts.out,
            params,
            backend: opts.backend,
            ...(opts.history ? { historyPath: opts.history } : {}),
            ...(opts.metrics ? { metricsPath: opts.metrics } : {}),
            onProgress: (p) => {
              if (p.epochRecord) {
                progress.log(render.formatEpoch(p.epochRecord, p.epochs));
                const { epoch, seconds: _seconds, ...values } = p.epochRecord;
                live.log(Object.fromEntries(Object.entries(values).filter((e): e is [string, number] => e[1] !== null)), epoch);
              }
              else progress.update(render.trainProgressUpdate(p));
            },
          });
        } finally {
          progress.done();
        }
        if (opts.json) printJson({ ...result.summary, out: result.outDir, history: result.historyPath });
        else if (!quiet) process.stdout.write(render.formatTrainSummary(result));
      });
    });

  cifar
    .command('evaluate')
    .description('test accuracy, loss, per-class accuracy and confusion matrix of a trained model')
    .requiredOption('--model <dir>', 'model directory written by `mlp cifar10 train`')
    .requiredOption('--data <dir>', 'directory written by `mlp cifar10 prepare`')
    .option('--metrics <file>', 'write the metrics JSON here (default: print it)')
    .option('--limit <n>', 'evaluate the first N test images only', parsePositiveInt)
    .addOption(backendOption())
    .option('--json', 'print the metrics as JSON')
    .action(async (opts: EvaluateCliOptions, command: Command) => {
      await withTf(async () => {
        const [{ evaluateCifar10 }, render] = await Promise.all([import('./evaluate.js'), import('./render.js')]);
        const metrics = await evaluateCifar10({
          modelDir: opts.model,
          dataDir: opts.data,
          backend: opts.backend,
          ...(opts.limit ? { limit: opts.limit } : {}),
          ...(opts.metrics ? { metricsPath: opts.metrics } : {}),
        });
        if (opts.json || !opts.metrics) printJson(metrics);
        else if (!isQuiet(command)) process.stdout.write(render.formatEvaluateSummary(metrics, opts.metrics));
      });
    });

  cifar
    .command('predict')
    .description('classify PNG/JPEG images with a trained model')
    .requiredOption('--model <dir>', 'model directory written by `mlp cifar10 train`')
    .argument('<images...>', 'PNG or JPEG files (resized to 32×32)')
    .option('--top <k>', 'also list the k most likely classes', parsePositiveInt)
    .addOption(backendOption())
    .option('--json', 'print predictions as JSON')
    .action(async (images: string[], opts: PredictCliOptions) => {
      await withTf(async () => {
        const [{ predictImages }, render] = await Promise.all([import('./predict.js'), import('./render.js')]);
        const predictions = await predictImages({ modelDir: opts.model, files: images, top: opts.top ?? 3, backend: opts.backend });
        if (opts.json) printJson(predictions);
        else process.stdout.write(render.formatPredictions(predictions, opts.top));
      });
    });
}

type Backend = 'auto' | 'node' | 'wasm' | 'cpu';

interface PrepareCliOptions {
  source?: string;
  out: string;
  md5?: string;
  sha256?: string;
  params?: string;
  cacheDir?: string;
  json?: boolean;
}
interface TrainCliOptions {
  data: string;
  out: string;
  params?: string;
  history?: string;
  metrics?: string;
  epochs?: number;
  trainLimit?: number;
  backend: Backend;
  json?: boolean;
}
interface EvaluateCliOptions {
  model: string;
  data: string;
  metrics?: string;
  limit?: number;
  backend: Backend;
  json?: boolean;
}
interface PredictCliOptions {
  model: string;
  top?: number;
  backend: Backend;
  json?: boolean;
}

/**
 * Runs a command that loads TensorFlow.js, then releases the backend whether it succeeded or not:
 * wasm pthread workers would otherwise keep the process alive.
 */
async function withTf(action: () => Promise<void>): Promise<void> {
  (await import('./tf-runtime.js')).assertTensorFlowInstalled();
  let ok = false;
  try {
    await action();
    ok = true;
  } finally {
    const release = (await import('./tf-runtime.js')).releaseTf();
    if (ok) await release;
    else await release.catch(() => undefined);
  }
}
