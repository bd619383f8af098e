/**
 * The run's chart as SVG, rendered headless with vega-lite → vega (no browser, no canvas):
 * latency percentiles per second (log scale), connections, and the cores each side used.
 */
import { writeFileSync } from 'node:fs';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Recorder } from './recorder.js';
import type { ChartLine } from './scenarios/scenario.js';

export interface ChartInput {
  readonly title: string;
  readonly recorder: Recorder;
  readonly lines: readonly ChartLine[];
  readonly markers: readonly { readonly t: number; readonly label: string }[];
}

export function chartSpec(input: ChartInput): TopLevelSpec {
  const { series } = input.recorder;
  const latency: { t: number; series: string; ms: number }[] = [];
  const connections: { t: number; connected: number }[] = [];
  const cores: { t: number; side: string; cores: number }[] = [];
  const groupOf = new Map<string, string>();
  for (const p of input.recorder.watchedProcesses()) groupOf.set(p.name, p.group);
  for (const point of series) {
    for (const line of input.lines) {
      const ms = point.latency[line.histogram]?.[line.percentile];
      if (ms !== undefined && Number.isFinite(ms) && ms > 0) {
        latency.push({ t: point.t, series: line.label, ms });
      }
    }
    connections.push({ t: point.t, connected: point.connected });
    const bySide = new Map<string, number>();
    for (const [name, used] of Object.entries(point.cpu)) {
      const side = groupOf.get(name) ?? name;
      bySide.set(side, (bySide.get(side) ?? 0) + used);
    }
    for (const [side, used] of bySide) cores.push({ t: point.t, side, cores: used });
  }
  const tMax = Math.ceil(series.at(-1)?.t ?? 1);
  const x = {
    field: 't',
    type: 'quantitative' as const,
    title: 'seconds since start',
    scale: { domain: [0, tMax] },
  };
  const markers = {
    data: { values: input.markers.map((m) => ({ ...m })) },
    layer: [
      { mark: { type: 'rule' as const, color: '#999', strokeDash: [4, 3] }, encoding: { x } },
      {
        mark: { type: 'text' as const, align: 'left' as const, dx: 3, dy: -4, fontSize: 9 },
        encoding: { x, y: { value: 0 }, text: { field: 'label' } },
      },
    ],
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: input.title,
    config: { font: 'sans-serif', view: { stroke: '#ddd' }, legend: { labelLimit: 320 } },
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    vconcat: [
      {
        width: 760,
        height: 240,
        title: 'latency per second (ms, log scale)',
        layer: [
          {
            data: { values: latency },
            mark: { type: 'line', interpolate: 'monotone', strokeWidth: 1.5 },
            encoding: {
              x,
              y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'ms' },
              color: { field: 'series', type: 'nominal', title: null },
            },
          },
          markers,
        ],
      },
      {
        width: 760,
        height: 120,
        title: 'connections with their presence_state',
        layer: [
          {
            data: { values: connections },
            mark: { type: 'area', opacity: 0.6, line: true },
            encoding: { x, y: { field: 'connected', type: 'quantitative', title: 'connections' } },
          },
          markers,
        ],
      },
      {
        width: 760,
        height: 120,
        title: 'CPU used (cores; this machine has its cores shared by all sides)',
        data: { values: cores },
        mark: { type: 'area', opacity: 0.8 },
        encoding: {
          x,
          y: { field: 'cores', type: 'quantitative', stack: 'zero', title: 'cores' },
          color: { field: 'side', type: 'nominal', title: null },
        },
      },
    ],
  } as TopLevelSpec;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

export async function writeChart(input: ChartInput, file: string): Promise<void> {
  writeFileSync(file, await renderSvg(chartSpec(input)));
}
