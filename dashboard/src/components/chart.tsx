import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** Scale key; series on `y2` get an axis on the right. */
  scale?: 'y' | 'y2';
  dash?: number[];
  /** Draw as bars (histograms). */
  bars?: boolean;
  fill?: string;
  /** Connect values across empty steps (steps shorter than the clients' report window are gappy by nature). */
  spanGaps?: boolean;
}

export interface ChartProps {
  title: string;
  /** X values: ms since the epoch for time charts, or bin positions with `time={false}`. */
  x: number[];
  series: ChartSeries[];
  height?: number;
  yLabel?: string;
  y2Label?: string;
  time?: boolean;
  /** Labels of the x ticks for non-time charts (bin names), indexed by x value. */
  xTicks?: string[];
  yRange?: [number, number];
  testId?: string;
}

/** Most values have no neighbour: a line alone would hardly show. */
function isSparse(values: (number | null)[]): boolean {
  let isolated = 0;
  let present = 0;
  values.forEach((v, i) => {
    if (v === null) return;
    present++;
    if ((values[i - 1] ?? null) === null && (values[i + 1] ?? null) === null) isolated++;
  });
  return present > 0 && isolated / present > 0.3;
}

function buildOptions(props: ChartProps, width: number): uPlot.Options {
  const time = props.time !== false;
  const axisStroke = '#5b6472';
  const grid = { stroke: '#e6e9ef', width: 1 };
  const axes: uPlot.Axis[] = [
    time
      ? { stroke: axisStroke, grid }
      : {
          stroke: axisStroke,
          grid: { show: false },
          ...(props.xTicks
            ? {
                values: (_u: uPlot, splits: number[]) => splits.map((s) => props.xTicks?.[s] ?? ''),
                splits: () => props.xTicks!.map((_, i) => i),
                rotate: props.xTicks.length > 8 ? -30 : 0,
                size: props.xTicks.length > 8 ? 52 : 32,
              }
            : {}),
        },
    { stroke: axisStroke, grid, label: props.yLabel ?? '', size: 56 },
  ];
  const hasY2 = props.series.some((s) => s.scale === 'y2');
  if (hasY2)
    axes.push({
      scale: 'y2',
      side: 1,
      stroke: axisStroke,
      grid: { show: false },
      label: props.y2Label ?? '',
      size: 56,
    });
  const bars = uPlot.paths.bars?.({ size: [0.8, 64] });
  return {
    width,
    height: props.height ?? 220,
    legend: { show: time, live: true },
    cursor: { drag: { x: time, y: false } },
    scales: {
      x: { time, ...(time ? {} : { range: (_u, min, max) => [min - 0.5, max + 0.5] }) },
      y: props.yRange
        ? { range: props.yRange }
        : { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
      ...(hasY2 ? { y2: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } } : {}),
    },
    axes,
    series: [
      { label: time ? 'time' : 'bin', ...(time ? {} : { value: (_u, v) => props.xTicks?.[v] ?? String(v) }) },
      ...props.series.map(
        (s): uPlot.Series => ({
          label: s.label,
          stroke: s.color,
          width: s.bars ? 1 : 2,
          scale: s.scale ?? 'y',
          spanGaps: s.spanGaps ?? false,
          // Isolated values between empty buckets would be invisible as a line: mark every value then.
          points: { show: !s.bars && (props.x.length < 40 || isSparse(s.values)), size: 5 },
          ...(s.dash ? { dash: s.dash } : {}),
          ...(s.fill ? { fill: s.fill } : {}),
          ...(s.bars && bars ? { paths: bars, points: { show: false } } : {}),
        }),
      ),
    ],
  };
}

/** A uPlot chart that follows its container's width and redraws when its data change. */
export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const time = props.time !== false;
  const data: uPlot.AlignedData = [
    time ? props.x.map((ms) => ms / 1000) : props.x,
    ...props.series.map((s) => s.values),
  ];
  const shape = `${props.series.map((s) => `${s.label}:${s.color}:${s.scale}:${isSparse(s.values)}`).join('|')}|${props.xTicks?.join(',')}`;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const u = new uPlot(buildOptions(props, Math.max(el.clientWidth, 240)), data, el);
    plot.current = u;
    const resize = new ResizeObserver(() =>
      u.setSize({ width: Math.max(el.clientWidth, 240), height: props.height ?? 220 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return (
    <figure class="chart" data-testid={props.testId} data-points={props.x.length}>
      <figcaption>{props.title}</figcaption>
      <div ref={box} class="chart-box" />
    </figure>
  );
}
