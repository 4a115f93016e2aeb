/**
 * A log-log line chart of frames per second against batch size, as a standalone SVG.
 *
 * @module
 */

const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"];

/** One line of the chart. */
export interface Series {
  name: string;
  points: [number, number][];
}

function ticks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Renders the chart.
 *
 * @param series Lines to draw (points with non-positive values are dropped).
 * @param title Chart title.
 * @returns SVG text.
 */
export function chartSvg(series: Series[], title: string): string {
  const W = 760, H = 460, L = 70, R = 190, T = 40, B = 50;
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => x > 0 && y > 0);
  if (pts.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"></svg>`;
  }
  const xs = ticks(Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0])));
  const ys = ticks(Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1])));
  const [x0, x1] = [Math.log10(xs[0]), Math.log10(xs[xs.length - 1])];
  const [y0, y1] = [Math.log10(ys[0]), Math.log10(ys[ys.length - 1])];
  const px = (x: number) => L + ((Math.log10(x) - x0) / Math.max(x1 - x0, 1e-9)) * (W - L - R);
  const py = (y: number) => H - B - ((Math.log10(y) - y0) / Math.max(y1 - y0, 1e-9)) * (H - T - B);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - R / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
  ];
  for (const x of xs) {
    parts.push(`<line x1="${px(x)}" y1="${T}" x2="${px(x)}" y2="${H - B}" stroke="#ddd"/>`);
    parts.push(`<text x="${px(x)}" y="${H - B + 16}" text-anchor="middle">${x}</text>`);
  }
  for (const y of ys) {
    parts.push(`<line x1="${L}" y1="${py(y)}" x2="${W - R}" y2="${py(y)}" stroke="#ddd"/>`);
    parts.push(`<text x="${L - 6}" y="${py(y) + 4}" text-anchor="end">${y}</text>`);
  }
  parts.push(
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">batch size (frames)</text>`,
  );
  parts.push(
    `<text transform="translate(18 ${
      (T + H - B) / 2
    }) rotate(-90)" text-anchor="middle">frames per second</text>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const p = s.points.filter(([x, y]) => x > 0 && y > 0);
    if (p.length > 0) {
      parts.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2" points="${
          p.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ")
        }"/>`,
      );
      for (const [x, y] of p) {
        parts.push(
          `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"/>`,
        );
      }
    }
    const ly = T + 10 + i * 20;
    parts.push(
      `<line x1="${W - R + 15}" y1="${ly}" x2="${
        W - R + 40
      }" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
    );
    parts.push(`<text x="${W - R + 46}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
