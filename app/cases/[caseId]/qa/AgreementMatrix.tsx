"use client";
// The numbers of a QA analysis: pairwise agreement (Dice, HD95, surface Dice) as matrices shaded
// by agreement, each reader's STAPLE performance, the disagreement hot spots and the per-lesion
// table. Hot spots jump the viewer to their centre.

export interface QaResult {
  structure: string;
  readers: { versionId: string; name: string; version: number; volumeMl: number | null }[];
  pairwise: { dice: (number | null)[][]; hd95Mm: (number | null)[][]; surfaceDice: (number | null)[][]; surfaceToleranceMm: number };
  meanPairwiseDice: number | null;
  staple: { sensitivity: (number | null)[]; specificity: (number | null)[]; iterations: number; converged: boolean; consensusMl: number | null; diceToConsensus: (number | null)[] };
  hotSpots: { rank: number; voxels: number; volumeMl: number | null; slice: number; centroidMm: number[]; meanReaders: number | null }[];
  lesions: { id: number; volumeMl: number | null; centroidMm: (number | null)[]; detectedBy: boolean[]; dice: (number | null)[] }[];
  ms: number;
}

const fmt = (v: number | null, digits = 3) => (v === null || v === undefined ? "–" : v.toFixed(digits));
/** shade from red (0) to green (1) for agreement values */
const shade = (v: number | null) => (v === null ? undefined : { background: `hsl(${Math.round(120 * Math.max(0, Math.min(1, v)))}, 60%, 85%)` });

function Matrix({ title, names, values, agreement, digits }: { title: string; names: string[]; values: (number | null)[][]; agreement: boolean; digits?: number }) {
  return (
    <table className="table matrix" aria-label={title}>
      <caption>{title}</caption>
      <thead>
        <tr>
          <th />
          {names.map((n) => (
            <th key={n}>{n}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {values.map((row, i) => (
          <tr key={names[i]}>
            <th>{names[i]}</th>
            {row.map((v, j) => (
              <td key={j} style={agreement && i !== j ? shade(v) : undefined}>
                {fmt(v, digits)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AgreementMatrix({ result, onGoTo }: { result: QaResult; onGoTo: (mm: [number, number, number]) => void }) {
  const names = result.readers.map((r) => `${r.name} v${r.version}`);
  return (
    <div className="qa-results" data-testid="qa-results">
      <Matrix title={`Dice (${result.structure})`} names={names} values={result.pairwise.dice} agreement />
      <Matrix title={`Surface Dice at ${result.pairwise.surfaceToleranceMm} mm`} names={names} values={result.pairwise.surfaceDice} agreement />
      <Matrix title="HD95 (mm)" names={names} values={result.pairwise.hd95Mm} agreement={false} digits={1} />
      <table className="table" aria-label="STAPLE consensus">
        <caption>
          STAPLE consensus: {fmt(result.staple.consensusMl, 1)} mL ({result.staple.iterations} iterations{result.staple.converged ? "" : ", not converged"})
        </caption>
        <thead>
          <tr>
            <th>Contour</th>
            <th>Volume (mL)</th>
            <th>Sensitivity</th>
            <th>Specificity</th>
            <th>Dice to consensus</th>
          </tr>
        </thead>
        <tbody>
          {result.readers.map((r, i) => (
            <tr key={r.versionId}>
              <th>{names[i]}</th>
              <td>{fmt(r.volumeMl, 1)}</td>
              <td>{fmt(result.staple.sensitivity[i])}</td>
              <td>{fmt(result.staple.specificity[i], 5)}</td>
              <td style={shade(result.staple.diceToConsensus[i])}>{fmt(result.staple.diceToConsensus[i])}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Where readers disagree</h3>
      {result.hotSpots.length === 0 ? (
        <p className="muted small">Nowhere: every contour set is identical here.</p>
      ) : (
        <ol className="small" aria-label="hot spots">
          {result.hotSpots.map((h) => (
            <li key={h.rank}>
              <button className="link" onClick={() => onGoTo(h.centroidMm as [number, number, number])}>
                slice {h.slice + 1}
              </button>
              : {fmt(h.volumeMl, 2)} mL, on average {fmt(h.meanReaders, 1)} of {result.readers.length} readers include it
            </li>
          ))}
        </ol>
      )}
      <h3>Lesions of the consensus</h3>
      {result.lesions.length === 0 ? (
        <p className="muted small">The consensus has no lesion.</p>
      ) : (
        <table className="table" aria-label="per-lesion agreement">
          <thead>
            <tr>
              <th>Lesion</th>
              <th>mL</th>
              {names.map((n) => (
                <th key={n}>{n}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {result.lesions.map((l) => (
              <tr key={l.id}>
                <th>{l.id}</th>
                <td>{fmt(l.volumeMl, 2)}</td>
                {l.detectedBy.map((d, i) => (
                  <td key={i} style={shade(l.dice[i])}>
                    {d ? `✓ ${fmt(l.dice[i], 2)}` : "missed"}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted small">Computed in {(result.ms / 1000).toFixed(1)} s.</p>
    </div>
  );
}
