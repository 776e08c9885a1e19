/**
 * The page's interactions, as Vega-Lite params (what W&B and TensorBoard users expect):
 * - zoom and pan: drag to pan, wheel to zoom, double-click to reset (an interval bound to the scales);
 * - legend toggling: click a legend entry to show only that series, shift-click to add more,
 *   double-click (or click the chart background) to show all again;
 * - a run filter (study charts): only the experiments whose name contains the typed text.
 * The static figures use the same specs: nothing fires without a browser, so they show every series.
 */
import type { VlSpec } from './chart-common.ts';

/** Drag to pan, wheel to zoom, double-click to reset: on every axis of the unit it is added to. */
export function zoomParam(encodings: ('x' | 'y')[] = ['x', 'y']): VlSpec {
  return { name: 'zoom', select: { type: 'interval', encodings }, bind: 'scales' };
}

/** Click a legend entry of `field` to show only it (shift-click: several). */
export function legendToggle(field: string, name = 'pick'): VlSpec {
  return { name, select: { type: 'point', fields: [field] }, bind: 'legend' };
}

/** Full opacity for the series picked in the legend (all when none is), `off` for the rest. */
export function pickedOpacity(on: number, off = 0.07, name = 'pick'): VlSpec {
  return { condition: { param: name, empty: true, value: on }, value: off };
}

export const RUN_FILTER = 'run_filter';

/** A text box under the chart: keep the experiments whose name contains the text (any case). */
export function runFilterParam(): VlSpec {
  return { name: RUN_FILTER, value: '', bind: { input: 'text', name: 'show runs whose name contains ', placeholder: 'e.g. seed=3 or noise/' } };
}

/** The filter transform of the run filter over `field`. */
export function runFilterTransform(field = 'experiment'): VlSpec {
  return { filter: `${RUN_FILTER} == '' || indexof(lower(datum[${JSON.stringify(field)}]), lower(${RUN_FILTER})) >= 0` };
}
