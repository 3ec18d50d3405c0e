"use client";
// Admins set how a project's rounds are decided: the consensus rule and its quorum, candidates
// per round and the most rounds a case may take.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../_lib/trpc";

type Rule = "MAJORITY" | "UNANIMITY" | "ADJUDICATOR";

export function ProjectSettings({ project }: { project: { id: string; consensusRule: Rule; quorum: number | null; candidateCount: number; maxRounds: number; agreementThreshold: number } }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [rule, setRule] = useState<Rule>(project.consensusRule);
  const [quorum, setQuorum] = useState(project.quorum === null ? "" : String(Math.round(project.quorum * 100)));
  const [k, setK] = useState(project.candidateCount);
  const [maxRounds, setMaxRounds] = useState(project.maxRounds);
  const [threshold, setThreshold] = useState(project.agreementThreshold);
  const [message, setMessage] = useState<string | null>(null);
  const save = useMutation(
    trpc.project.update.mutationOptions({
      onSuccess: () => (setMessage("Saved"), void qc.invalidateQueries({ queryKey: trpc.project.byId.queryKey({ projectId: project.id }) })),
      onError: (e) => setMessage(e.message),
    }),
  );
  const q = quorum.trim() === "" ? null : Number(quorum) / 100;
  return (
    <details className="settings">
      <summary>Review settings</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate({ projectId: project.id, consensusRule: rule, quorum: rule === "MAJORITY" ? q : null, candidateCount: k, maxRounds, agreementThreshold: threshold });
        }}
      >
        <label>
          Consensus rule{" "}
          <select value={rule} onChange={(e) => setRule(e.target.value as Rule)}>
            <option value="MAJORITY">Majority with quorum</option>
            <option value="UNANIMITY">Unanimity</option>
            <option value="ADJUDICATOR">Adjudicator decides</option>
          </select>
        </label>
        {rule === "MAJORITY" && (
          <label>
            Quorum (% of assigned readers; empty = more than half){" "}
            <input type="number" min={1} max={100} value={quorum} onChange={(e) => setQuorum(e.target.value)} aria-label="Quorum percent" />
          </label>
        )}
        <label>
          Candidates per round <input type="number" min={2} max={9} value={k} onChange={(e) => setK(Number(e.target.value))} />
        </label>
        <label>
          Most rounds <input type="number" min={1} max={20} value={maxRounds} onChange={(e) => setMaxRounds(Number(e.target.value))} />
        </label>
        <label>
          QA flag below Dice <input type="number" min={0} max={1} step={0.01} value={threshold} onChange={(e) => setThreshold(Number(e.target.value))} aria-label="QA agreement threshold" />
        </label>
        <button type="submit" disabled={save.isPending}>
          Save settings
        </button>
        {message && <span className="small muted"> {message}</span>}
      </form>
    </details>
  );
}
