/**
 * What the benchmark scripts share: autocannon runs with sub-millisecond latency percentiles of the
 * 2xx answers, request rotation, and the machine description printed with every figure.
 */
import os from 'node:os';
import autocannon, { type Result, type Options } from 'autocannon';

export function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

export interface Run {
  result: Result;
  /** Latencies of the 2xx answers in ms, sub-millisecond (autocannon's histogram has 1 ms resolution). */
  p50: number;
  p99: number;
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function cannon(opts: Options): Promise<Run> {
  const times: number[] = [];
  const instance = autocannon({ timeout: 30, ...opts });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) times.push(responseTime);
  });
  const result = await instance;
  const sorted = Float64Array.from(times).sort();
  return { result, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

export function rotating(paths: string[]): (req: Record<string, unknown>) => Record<string, unknown> {
  return (req) => ({ ...req, path: paths[Math.floor(Math.random() * paths.length)] });
}

export function fmt(n: number | undefined, digits = 0): string {
  return n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits);
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} cores (${cpus[0]?.model?.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`;
}
