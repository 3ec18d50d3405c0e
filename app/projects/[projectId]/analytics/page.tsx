"use client";
// A project at a glance (Chart.js): tumour burden across its cases, how often readers voted with
// each round's outcome (per round and per reader), QA agreement per case against the threshold,
// and how the institution's accepted tumour volumes moved relative to the model's over time.
import { useQuery } from "@tanstack/react-query";
import { BarElement, CategoryScale, Chart, Legend, LinearScale, LineElement, PointElement, Tooltip } from "chart.js";
import { use } from "react";
import { Bar, Line } from "react-chartjs-2";
import { AppShell } from "../../../_components/AppShell";
import { useTRPC } from "../../../_lib/trpc";

Chart.register(BarElement, CategoryScale, LinearScale, LineElement, PointElement, Tooltip, Legend);

const percent = { scales: { y: { min: 0, max: 1, ticks: { format: { style: "percent" as const } } } } };

export default function AnalyticsPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = use(params);
  const trpc = useTRPC();
  const project = useQuery(trpc.project.byId.queryOptions({ projectId }));
  const report = useQuery(trpc.report.project.queryOptions({ projectId }));
  const agreement = useQuery(trpc.report.agreement.queryOptions({ projectId }));
  const profile = useQuery(trpc.report.profile.queryOptions({ projectId, structure: "tumour" }));
  const cases = report.data?.cases ?? [];
  const measured = cases.filter((c) => c.burden !== null);
  const qa = cases.filter((c) => c.qaAgreement !== null);
  return (
    <AppShell crumbs={[{ href: "/projects", label: "Projects" }, { href: `/projects/${projectId}`, label: project.data?.name ?? "…" }, { label: "Analytics" }]}>
      <h1>Analytics · {project.data?.name}</h1>
      <p className="small">
        Export the measurements: <a href={`/api/projects/${projectId}/export.csv`}>CSV</a> · <a href={`/api/projects/${projectId}/export.json`}>JSON</a> (one row per case and
        per lesion)
      </p>
      <div className="charts">
        <figure aria-label="tumour burden across cases">
          <figcaption>Tumour burden (tumour / liver volume) of each case's result</figcaption>
          {measured.length ? (
            <Bar data={{ labels: measured.map((c) => c.label), datasets: [{ label: "burden", data: measured.map((c) => c.burden!), backgroundColor: "#46e260" }] }} options={percent} />
          ) : (
            <p className="muted small">No measured results yet.</p>
          )}
        </figure>
        <figure aria-label="agreement per round">
          <figcaption>Votes that matched the round's outcome, per round</figcaption>
          {agreement.data?.perRound.length ? (
            <Line data={{ labels: agreement.data.perRound.map((r) => `round ${r.round}`), datasets: [{ label: "agreement", data: agreement.data.perRound.map((r) => r.agreement), borderColor: "#4363d8" }] }} options={percent} />
          ) : (
            <p className="muted small">No closed rounds with votes yet.</p>
          )}
        </figure>
        <figure aria-label="agreement per reader">
          <figcaption>Votes that matched the round's outcome, per reader</figcaption>
          {agreement.data?.perReader.length ? (
            <Bar data={{ labels: agreement.data.perReader.map((r) => r.name), datasets: [{ label: "agreement", data: agreement.data.perReader.map((r) => r.agreement), backgroundColor: "#f58231" }] }} options={percent} />
          ) : (
            <p className="muted small">No votes yet.</p>
          )}
        </figure>
        <figure aria-label="QA agreement per case">
          <figcaption>QA: mean pairwise Dice per case (threshold {report.data?.project.agreementThreshold.toFixed(2)})</figcaption>
          {qa.length ? (
            <Bar
              data={{
                labels: qa.map((c) => c.label),
                datasets: [{ label: "mean pairwise Dice", data: qa.map((c) => c.qaAgreement!), backgroundColor: qa.map((c) => (c.qaFlagged ? "#e6194b" : "#3cb44b")) }],
              }}
              options={percent}
            />
          ) : (
            <p className="muted small">No QA analyses yet.</p>
          )}
        </figure>
        <figure aria-label="preference profile over time">
          <figcaption>Accepted tumour volume relative to the model's prior mean, over time (the institution's profile)</figcaption>
          {profile.data?.some((o) => o.volumeRatio !== null) ? (
            <Line
              data={{
                labels: profile.data.map((o) => new Date(o.at).toLocaleDateString()),
                datasets: [{ label: "volume ratio", data: profile.data.map((o) => o.volumeRatio), borderColor: "#911eb4" }],
              }}
            />
          ) : (
            <p className="muted small">No accepted tumour reviews yet.</p>
          )}
        </figure>
      </div>
    </AppShell>
  );
}
