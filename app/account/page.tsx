"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { AppShell } from "../_components/AppShell";
import { useTRPC } from "../_lib/trpc";

export default function AccountPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const sessions = useQuery(trpc.auth.sessions.queryOptions());
  const revoke = useMutation(
    trpc.auth.revokeSession.mutationOptions({ onSuccess: () => qc.invalidateQueries({ queryKey: trpc.auth.sessions.queryKey() }) }),
  );
  return (
    <AppShell crumbs={[{ label: "Account" }]}>
      <h1>Signed-in sessions</h1>
      <p className="muted">Revoking a session signs that browser out at once, including its live connection.</p>
      <table className="table">
        <thead>
          <tr>
            <th>Started</th>
            <th>Browser</th>
            <th>Address</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {sessions.data?.map((s) => (
            <tr key={s.id}>
              <td>{new Date(s.createdAt).toLocaleString()}</td>
              <td className="small">{s.userAgent ?? "—"}</td>
              <td className="small">{s.ip ?? "—"}</td>
              <td>
                {s.current ? (
                  <span className="muted">this browser</span>
                ) : (
                  <button className="ghost" onClick={() => revoke.mutate({ sessionId: s.id })}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </AppShell>
  );
}
