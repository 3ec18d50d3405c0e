"use client";
// Admins choose the readers of a case (the consensus rule counts their votes).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTRPC } from "../../_lib/trpc";

export function AssignmentPanel({ caseId }: { caseId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const data = useQuery(trpc.assignment.forCase.queryOptions({ caseId }));
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => setChosen(new Set(data.data?.assigned.map((a) => a.userId) ?? [])), [data.data]);
  const save = useMutation(
    trpc.assignment.set.mutationOptions({
      onSuccess: (r) => (setMessage(`${r.assigned} reader${r.assigned === 1 ? "" : "s"} assigned`), void qc.invalidateQueries({ queryKey: trpc.assignment.forCase.queryKey({ caseId }) })),
      onError: (e) => setMessage(e.message),
    }),
  );
  if (!data.data) return null;
  return (
    <section aria-label="assignment">
      <h3>Assigned readers</h3>
      <ul className="plain small">
        {data.data.members.map((m) => (
          <li key={m.userId}>
            <label>
              <input
                type="checkbox"
                checked={chosen.has(m.userId)}
                onChange={(e) => {
                  const next = new Set(chosen);
                  if (e.target.checked) next.add(m.userId);
                  else next.delete(m.userId);
                  setChosen(next);
                }}
              />{" "}
              {m.name} <span className="muted">({m.role.toLowerCase()})</span>
            </label>
          </li>
        ))}
      </ul>
      <button disabled={save.isPending} onClick={() => save.mutate({ caseId, userIds: [...chosen] })}>
        Save assignment
      </button>
      {message && <p className="small muted">{message}</p>}
    </section>
  );
}
