const LABELS: Record<string, string> = {
  PENDING: "Pending",
  INGESTING: "Ingesting",
  READY: "Ready",
  IN_REVIEW: "In review",
  FINAL: "Final",
  FAILED: "Failed",
};

export function StatusBadge({ status, title }: { status: string; title?: string | null }) {
  return (
    <span className={`badge badge-${status.toLowerCase()}`} title={title ?? undefined} data-status={status}>
      {LABELS[status] ?? status}
    </span>
  );
}

export function ProgressBar({ percent, stage }: { percent: number; stage: string }) {
  const p = Math.round(Math.max(0, Math.min(100, percent)));
  return (
    <div className="progress" role="progressbar" aria-valuenow={p} aria-valuemin={0} aria-valuemax={100} aria-label={stage}>
      <div className="progress-fill" style={{ width: `${p}%` }} />
      <span className="progress-label">
        {stage} · {p}%
      </span>
    </div>
  );
}
