"use client";
// My cases to review: assigned to me and not final, the ones whose open round waits for my vote first.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { AppShell } from "../_components/AppShell";
import { StatusBadge } from "../_components/Status";
import { useTRPC } from "../_lib/trpc";

export default function QueuePage() {
  const trpc = useTRPC();
  const queue = useQuery(trpc.assignment.queue.queryOptions());
  const rows = [...(queue.data ?? [])].sort((a, b) => Number(b.waitingForMe) - Number(a.waitingForMe));
  return (
    <AppShell crumbs={[{ label: "My queue" }]}>
      <h1>My cases to review</h1>
      {queue.error && <p className="error">{queue.error.message}</p>}
      {queue.data && rows.length === 0 && <p className="muted">Nothing assigned to you is waiting.</p>}
      <table className="table" aria-label="my queue">
        <thead>
          <tr>
            <th>Case</th>
            <th>Project</th>
            <th>Status</th>
            <th>Round</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.caseId}>
              <td>
                <Link href={`/cases/${r.caseId}`}>{r.label}</Link>
              </td>
              <td>
                <Link href={`/projects/${r.project.id}`}>{r.project.name}</Link>
              </td>
              <td>
                <StatusBadge status={r.status} />
              </td>
              <td className="small">
                {r.round ? `round ${r.round.index + 1}, ${r.round.status.toLowerCase()}` : "not started"}
                {r.waitingForMe && <strong> · waiting for your vote</strong>}
                {r.round?.voted && " · you voted"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </AppShell>
  );
}
