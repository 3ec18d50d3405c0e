// Dice against interactions, one line per method: a small dependency-free SVG.
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

export function dicePlot(title: string, series: { name: string; dice: number[] }[], maxInteractions: number): string {
  const W = 520;
  const H = 340;
  const m = { l: 50, r: 150, t: 30, b: 40 };
  const x = (i: number) => m.l + ((W - m.l - m.r) * i) / maxInteractions;
  const lo = Math.max(0, Math.floor(Math.min(...series.flatMap((s) => s.dice)) * 10) / 10 - 0.1);
  const y = (d: number) => H - m.b - ((H - m.t - m.b) * (d - lo)) / (1 - lo);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l}" y="18" font-size="13">${title}</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
    `<text x="${(W - m.r + m.l) / 2 - 30}" y="${H - 8}">interactions</text>`,
    `<text x="12" y="${m.t - 8}">Dice</text>`,
  ];
  for (let i = 0; i <= maxInteractions; i++) parts.push(`<text x="${x(i) - 3}" y="${H - m.b + 14}">${i}</text>`);
  for (let d = Math.ceil(lo * 10) / 10; d <= 1.0001; d += 0.1) parts.push(`<text x="${m.l - 30}" y="${y(d) + 4}">${d.toFixed(1)}</text>`, `<line x1="${m.l}" x2="${W - m.r}" y1="${y(d)}" y2="${y(d)}" stroke="#eee"/>`);
  series.forEach((s, k) => {
    const col = COLOURS[k % COLOURS.length];
    const pts = s.dice.map((d, i) => `${x(i).toFixed(1)},${y(d).toFixed(1)}`).join(" ");
    parts.push(`<polyline fill="none" stroke="${col}" stroke-width="2" points="${pts}"/>`);
    parts.push(`<text x="${W - m.r + 8}" y="${m.t + 14 * k + 10}" fill="${col}">${s.name}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
