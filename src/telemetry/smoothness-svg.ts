/**
 * `stratus smoothness --plot FILE.svg`: demand over time, one thin line per workload (stacked
 * would hide the smoothing) and the pooled curve on top in bold, with its scale on its own axis.
 * Hand-written SVG, no dependency. Pure: returns the document text.
 */

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c755f'];

function path(values: readonly number[], x: (i: number) => number, y: (v: number) => number): string {
  return values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');
}

/** The chart: workloads against the left axis, the pool against the right; times are seconds. */
export function smoothnessSvg(
  workloads: readonly { name: string; values: readonly number[] }[],
  pooled: readonly number[],
  opts: { from: number; step: number; unit: string; width?: number; height?: number },
): string {
  const W = opts.width ?? 960;
  const H = opts.height ?? 400;
  const m = { l: 60, r: 70, t: 30, b: 40 };
  const n = Math.max(1, pooled.length - 1);
  const x = (i: number): number => m.l + (i / n) * (W - m.l - m.r);
  const maxW = Math.max(1e-9, ...workloads.flatMap((w) => w.values));
  const maxP = Math.max(1e-9, ...pooled);
  const yW = (v: number): number => H - m.b - (v / maxW) * (H - m.t - m.b);
  const yP = (v: number): number => H - m.b - (v / maxP) * (H - m.t - m.b);
  const date = (i: number): string =>
    new Date((opts.from + i * opts.step) * 1000).toISOString().slice(0, 16).replace('T', ' ');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l}" y="18" font-size="13">Demand (${esc(opts.unit)}): workloads (left axis) and the pool (right axis, bold)</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#888"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#888"/>`,
    `<line x1="${W - m.r}" y1="${m.t}" x2="${W - m.r}" y2="${H - m.b}" stroke="#888"/>`,
    `<text x="${m.l - 4}" y="${m.t + 4}" text-anchor="end">${maxW.toPrecision(3)}</text>`,
    `<text x="${m.l - 4}" y="${H - m.b}" text-anchor="end">0</text>`,
    `<text x="${W - m.r + 4}" y="${m.t + 4}">${maxP.toPrecision(3)}</text>`,
    `<text x="${W - m.r + 4}" y="${H - m.b}">0</text>`,
    `<text x="${m.l}" y="${H - m.b + 16}">${date(0)}</text>`,
    `<text x="${W - m.r}" y="${H - m.b + 16}" text-anchor="end">${date(pooled.length - 1)}</text>`,
  ];
  workloads.forEach((w, k) => {
    parts.push(
      `<path d="${path(w.values, x, yW)}" fill="none" stroke="${PALETTE[k % PALETTE.length]}" stroke-width="0.8" opacity="0.7"><title>${esc(w.name)}</title></path>`,
    );
  });
  parts.push(
    `<path d="${path(pooled, x, yP)}" fill="none" stroke="black" stroke-width="2"><title>pooled</title></path>`,
  );
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
