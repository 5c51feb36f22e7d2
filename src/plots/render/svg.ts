/** Static SVG files of plots, rendered in Node by Vega's headless renderer (no browser, no canvas). */
import type { VegaPlot } from '../plots.js';
import { importLibrary } from './libraries.js';

interface VegaModule {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, options: { renderer: 'none' }) => { toSVG(): Promise<string>; finalize(): void };
}

interface VegaLiteModule {
  compile(spec: unknown): { spec: unknown };
}

/** The SVG text of each plot, in order. */
export async function renderSvgs(plots: readonly VegaPlot[]): Promise<string[]> {
  const vega = await importLibrary<VegaModule>('vega');
  const vegaLite = await importLibrary<VegaLiteModule>('vega-lite');
  const result: string[] = [];
  for (const plot of plots) {
    const view = new vega.View(vega.parse(vegaLite.compile(plot.spec).spec), { renderer: 'none' });
    try {
      result.push(await view.toSVG());
    } finally {
      view.finalize();
    }
  }
  return result;
}
