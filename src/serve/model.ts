/**
 * What `mlp serve` needs of a model, whatever trained it. The built-in trainers implement it
 * (stages/servables/); the server (src/serve/server.ts) only sees this interface, so a new model
 * kind plugs in without touching HTTP code.
 *
 * Inputs arrive as JSON values or uploaded bytes; a model turns each into its own input type
 * (`toInput`), throwing `InputRejected` with a reason the client can act on (HTTP 400), and then
 * predicts class probabilities for a batch. Inputs cross into inference workers, so they must be
 * structured-cloneable (strings, typed arrays).
 */
export type ModelKind = 'text' | 'cifar10';

/** One request input before the model interprets it. */
export type RawInput = { json: unknown } | { bytes: Buffer; name: string };

export interface ServableModel<I = unknown> {
  readonly kind: ModelKind;
  readonly classes: readonly string[];
  /** Field names clients may use for a single input in `/predict` (`text` or `image`). */
  readonly inputField: string;
  toInput(raw: RawInput): I;
  /** Probabilities, row-major: inputs.length × classes.length. */
  predict(inputs: I[]): Promise<Float32Array | Float64Array>;
  dispose(): void;
}

/** An input the model cannot use: answered 400 with this message. */
export class InputRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputRejected';
  }
}
