"use client";
// A case's report, printable as is (the browser's Print makes the PDF): the result's measurements
// (liver and tumour volume, burden, lesions with RECIST diameters and HU, target lesions), a key
// slice per lesion with its diameters drawn, the readers' agreement, and where the result came from.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { use } from "react";
import { AppShell } from "../../../_components/AppShell";
import { StatusBadge } from "../../../_components/Status";
import { useTRPC } from "../../../_lib/trpc";
import type { Measurements } from "../../../../lib/measure";

const f = (v: number | null | undefined, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(d));

export default function ReportPage({ params }: { params: Promise<{ caseId: string }> }) {
  const { caseId } = use(params);
  const trpc = useTRPC();
  const report = useQuery(trpc.report.case.queryOptions({ caseId }));
  const r = report.data;
  const m = (r?.result?.measurements ?? null) as Measurements | null;
  const qa = r?.qa?.result as { meanPairwiseDice?: number; readers?: { name: string }[]; staple?: { sensitivity: number[]; diceToConsensus: number[] } } | undefined;
  return (
    <AppShell
      crumbs={[{ href: "/projects", label: "Projects" }, ...(r ? [{ href: `/cases/${r.kase.id}`, label: r.kase.label }] : []), { label: "Report" }]}
    >
      {report.error && <p className="error">{report.error.message}</p>}
      {r && (
        <article className="report" data-testid="case-report">
          <h1>
            {r.kase.label} <StatusBadge status={r.kase.status} />
          </h1>
          <p className="muted no-print">
            <button onClick={() => window.print()}>Print / save as PDF</button> · <Link href={`/cases/${r.kase.id}`}>Back to the case</Link>
          </p>
          <p className="muted small">
            Project {r.kase.project} · CT {r.volume?.dims.join("×")} at {r.volume?.spacing.map((s) => s.toFixed(2)).join("×")} mm ({r.volume?.sourceFormat})
          </p>
          {!r.result && <p>No accepted result yet: accept a review round or a QA decision first.</p>}
          {r.result && !m && <p className="muted">The result is being measured…</p>}
          {r.result && m && (
            <>
              <h2>Measurements</h2>
              <dl className="facts" aria-label="measurements">
                <dt>Result</dt>
                <dd>
                  {r.result.annotation} v{r.result.version} ({new Date(r.result.createdAt).toLocaleString()})
                </dd>
                <dt>Liver volume</dt>
                <dd>{f(m.liverMl, 0)} mL</dd>
                <dt>Tumour volume</dt>
                <dd>{f(m.tumourMl, 2)} mL</dd>
                <dt>Tumour burden</dt>
                <dd>{m.burden === null ? "–" : `${f(m.burden * 100, 2)} %`}</dd>
                <dt>Lesions</dt>
                <dd>{m.lesionCount}</dd>
                <dt>RECIST sum of target diameters</dt>
                <dd>{f(m.targetSumMm)} mm</dd>
              </dl>
              {m.lesions.length > 0 && (
                <table className="table" aria-label="lesions">
                  <thead>
                    <tr>
                      <th>Lesion</th>
                      <th>Target</th>
                      <th>Volume (mL)</th>
                      <th>Long axis (mm)</th>
                      <th>Short axis (mm)</th>
                      <th>HU mean ± SD</th>
                      <th>Slice</th>
                      <th>Centre (mm, RAS)</th>
                    </tr>
                  </thead>
                  <tbody>
                    {m.lesions.map((l, i) => (
                      <tr key={l.id}>
                        <td>{l.id}</td>
                        <td>{m.targets.includes(i) ? "target" : ""}</td>
                        <td>{f(l.volumeMl, 2)}</td>
                        <td>{f(l.longAxisMm)}</td>
                        <td>{f(l.shortAxisMm)}</td>
                        <td>
                          {f(l.huMean, 0)} ± {f(l.huSd, 0)}
                        </td>
                        <td>{l.slice + 1}</td>
                        <td className="small">{l.centroidMm.map((v) => f(v)).join(", ")}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              {m.lesions.length > 0 && (
                <>
                  <h2>Key slices</h2>
                  <div className="key-slices">
                    {m.lesions.slice(0, 12).map((l) => (
                      <figure key={l.id}>
                        {/* server-rendered PNG with the RECIST axes drawn */}
                        {/* eslint-disable-next-line @next/next/no-img-element */}
                        <img src={r.lesionKeyUrls[l.id]} alt={`Lesion ${l.id}, slice ${l.slice + 1}`} width={256} />
                        <figcaption className="small">
                          Lesion {l.id}: {f(l.longAxisMm)} × {f(l.shortAxisMm)} mm (yellow: long axis, cyan: short axis), slice {l.slice + 1}
                        </figcaption>
                      </figure>
                    ))}
                  </div>
                </>
              )}
            </>
          )}
          <h2>Agreement</h2>
          {r.qa && qa ? (
            <p>
              Mean pairwise Dice of {qa.readers?.length ?? 0} contour sets: {f(qa.meanPairwiseDice ?? null, 3)} (project threshold {f(r.qa.threshold, 2)}); Dice to the STAPLE
              consensus: {qa.readers?.map((x, i) => `${x.name} ${f(qa.staple?.diceToConsensus[i] ?? null, 3)}`).join(", ")}.
            </p>
          ) : (
            <p className="muted">No QA analysis of this case.</p>
          )}
          <p className="muted small">Review rounds: {r.rounds}.</p>
          {r.result && (
            <>
              <h2>Provenance</h2>
              <pre className="small provenance">{JSON.stringify(r.result.provenance, null, 2)}</pre>
            </>
          )}
        </article>
      )}
    </AppShell>
  );
}
