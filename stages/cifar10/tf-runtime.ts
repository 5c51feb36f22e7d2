/**
 * Loads TensorFlow.js once per process and picks the backend: `@tensorflow/tfjs-node` (native
 * libtensorflow) when it is installed and loads, else `@tensorflow/tfjs-backend-wasm` with the
 * training kernels of ./wasm-kernels.ts and, where possible, XNNPACK's thread pool.
 */
import type * as TF from '@tensorflow/tfjs';
import { MlpError, errorCode } from '../../src/errors.js';
import { enableWasmThreads } from './wasm-threads.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';
import { registerBatchNormKernels } from './fast-batch-norm.js';

export type Tf = typeof TF;
export type BackendChoice = 'auto' | 'node' | 'wasm' | 'cpu';

export interface TfRuntime {
  tf: Tf;
  backend: string;
  /** Threads the backend computes with (1 for cpu). */
  threads: number;
}

let loaded: Promise<TfRuntime> | undefined;
let loadedChoice: string | undefined;

export interface LoadOptions {
  backend?: BackendChoice;
  /** wasm threads; 0 = one per core. */
  threads?: number;
}

/** `MLP_TF_BACKEND` overrides `auto` (handy for tests and for comparing backends). */
export function loadTf(options: LoadOptions = {}): Promise<TfRuntime> {
  const envChoice = process.env.MLP_TF_BACKEND as BackendChoice | undefined;
  const choice = options.backend && options.backend !== 'auto' ? options.backend : (envChoice ?? 'auto');
  const key = `${choice}/${options.threads ?? 0}`;
  if (loaded && loadedChoice !== key) {
    // Backends and thread pools are process-wide; the first choice wins.
    return loaded;
  }
  loadedChoice = key;
  loaded ??= load(choice, options.threads ?? 0);
  return loaded;
}

async function load(choice: BackendChoice, threads: number): Promise<TfRuntime> {
  if (choice === 'auto' || choice === 'node') {
    const node = await importTfjsNode();
    if (node) return { tf: node, backend: 'tensorflow', threads: 0 };
    if (choice === 'node') {
      throw new MlpError('@tensorflow/tfjs-node is not installed or failed to load', {
        hint: 'install @tensorflow/tfjs-node, or use --backend auto (wasm when tfjs-node is missing)',
      });
    }
  }
  const tf = await importTensorFlow(() => import('@tensorflow/tfjs'));
  // webgl registers itself on import but has no GL context in Node; keep it from being picked.
  if (tf.findBackend('webgl')) tf.removeBackend('webgl');
  if (choice === 'cpu') {
    await tf.setBackend('cpu');
    await tf.ready();
    return { tf, backend: 'cpu', threads: 1 };
  }
  const wasm = await importTensorFlow(() => import('@tensorflow/tfjs-backend-wasm'));
  const actualThreads = await enableWasmThreads(tf, wasm, threads);
  if (!(await tf.setBackend('wasm'))) {
    const hint = actualThreads > 0 ? 'this was the multi-threaded build: set MLP_WASM_THREADS=0 to use the single-threaded one' : 'try --backend cpu';
    throw new MlpError('the TensorFlow.js wasm backend failed to initialise', { hint });
  }
  await tf.ready();
  registerWasmTrainingKernels(tf);
  registerBatchNormKernels(tf);
  return { tf, backend: 'wasm', threads: actualThreads > 0 ? wasm.getThreadsCount() : 1 };
}

/** The npm packages `mlp cifar10 train|evaluate|predict` need: optional peers of mlp-pipeline. */
export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs@4', '@tensorflow/tfjs-backend-wasm@4'] as const;

/**
 * TensorFlow.js (286 MB installed) is an optional peer dependency so that an install of the
 * pipeline runner stays lean; a missing package is an install step to take, not a crash.
 */
function tensorFlowMissing(cause: unknown): MlpError {
  return new MlpError('TensorFlow.js is not installed: `mlp cifar10 train`, `evaluate` and `predict` need it', {
    hint:
      `install it where mlp is installed: \`npm install ${TENSORFLOW_PACKAGES.join(' ')}\` next to a project's mlp-pipeline, ` +
      `or \`npm install -g ${TENSORFLOW_PACKAGES.join(' ')}\` next to a global one`,
    cause,
  });
}

async function importTensorFlow<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (errorCode(error) === 'ERR_MODULE_NOT_FOUND') throw tensorFlowMissing(error);
    throw error;
  }
}

/** Throws the install hint before a command reads any data, without loading TensorFlow.js. */
export function assertTensorFlowInstalled(): void {
  try {
    import.meta.resolve('@tensorflow/tfjs');
  } catch (error) {
    throw tensorFlowMissing(error);
  }
}

async function importTfjsNode(): Promise<Tf | undefined> {
  // A variable specifier keeps TypeScript from requiring the optional package at build time.
  const specifier = '@tensorflow/tfjs-node';
  try {
    return (await import(specifier)) as Tf;
  } catch {
    return undefined;
  }
}

/** Disposes the backend (and the wasm thread pool, whose workers would keep Node running). */
export async function releaseTf(): Promise<void> {
  if (!loaded) return;
  const runtime = await loaded.catch(() => undefined);
  loaded = undefined;
  loadedChoice = undefined;
  if (runtime && runtime.backend !== 'tensorflow' && runtime.tf.findBackend(runtime.backend)) runtime.tf.removeBackend(runtime.backend);
}
