"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { AppShell } from "../_components/AppShell";
import { StatusBadge } from "../_components/Status";
import { useTRPC } from "../_lib/trpc";

export default function ProjectsPage() {
  const trpc = useTRPC();
  const projects = useQuery(trpc.project.list.queryOptions());
  return (
    <AppShell crumbs={[{ label: "Projects" }]}>
      <h1>Projects</h1>
      {projects.isLoading && <p className="muted">Loading…</p>}
      {projects.error && <p className="error">{projects.error.message}</p>}
      {projects.data?.length === 0 && <p className="muted">You are not part of any project yet. Ask an administrator of your institution.</p>}
      <ul className="cards">
        {projects.data?.map((p) => (
          <li key={p.id} className="card">
            <Link href={`/projects/${p.id}`} className="card-title">
              {p.name}
            </Link>
            <p className="muted small">
              {p.institution.name} · {p.caseCount} case{p.caseCount === 1 ? "" : "s"} · K = {p.candidateCount} · {p.consensusRule.toLowerCase()}
            </p>
            {p.description && <p>{p.description}</p>}
            <p className="badges">
              {Object.entries(p.byStatus).map(([s, n]) => (
                <span key={s}>
                  <StatusBadge status={s} /> {n}
                </span>
              ))}
            </p>
          </li>
        ))}
      </ul>
    </AppShell>
  );
}
