/** Settings of the benchmarks from the environment (bench/ is not the server: config.ts is not used). */
export function num(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${JSON.stringify(v)} must be a non-negative number`);
  return n;
}
