"use client";
// Who is reviewing the case with me, live: assigned readers and their votes, presence (colour,
// slice, hovered candidate) with "follow", the consensus rule's verdict, and comments pinned to
// a slice and position. Everything shown comes from the case's shared document and presence;
// comments go through the server.
import { useMutation } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { CollabClient } from "../../_lib/collab-client";
import type { CursorInfo, Store } from "../../_components/viewer/Viewer";
import { useTRPC } from "../../_lib/trpc";
import type { DocVote } from "../../../lib/collab/doc";

export const choiceLabel = (v: Pick<DocVote, "kind" | "candidate">) =>
  `${v.kind === "ACCEPT" ? "accept" : "refine"} ${v.candidate === null ? "recommended" : `candidate ${v.candidate + 1}`}`;

interface Props {
  caseId: string;
  client: CollabClient | null;
  error: string | null;
  me: string | null;
  cursor: Store<CursorInfo | null>;
  goTo: Store<[number, number, number] | null>;
}

export function CollabPanel({ caseId, client, error, me, cursor, goTo }: Props) {
  const trpc = useTRPC();
  const [following, setFollowing] = useState<string | null>(null);
  const [text, setText] = useState("");
  const [commentError, setCommentError] = useState<string | null>(null);
  const comment = useMutation(
    trpc.review.comment.mutationOptions({ onSuccess: () => (setText(""), setCommentError(null)), onError: (e) => setCommentError(e.message) }),
  );
  const state = client?.state();
  const others = client?.others() ?? [];

  // my crosshair is my presence (throttled: a drag fires many events)
  useEffect(() => {
    if (!client) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const unsub = cursor.subscribe(() => {
      timer ??= setTimeout(() => {
        timer = null;
        const c = cursor.get();
        if (c) client.setPresence({ slice: c.vox[2], position: c.mm });
      }, 80);
    });
    return () => {
      unsub();
      if (timer) clearTimeout(timer);
    };
  }, [client, cursor]);

  // following a reader: my crosshair goes where theirs is
  const followed = others.find((p) => p.user.id === following);
  const followedAt = followed?.position?.join(",");
  useEffect(() => {
    if (followed?.position) goTo.set(followed.position);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [followedAt]);

  if (error) return <p className="error small">Live review unavailable: {error}</p>;
  if (!state) return null;
  const votes = new Map(state.votes.map((v) => [v.userId, v]));
  const online = new Map(others.map((p) => [p.user.id, p]));
  const readers = [...state.assigned];
  for (const p of others) if (!readers.some((r) => r.id === p.user.id)) readers.push({ id: p.user.id, name: p.user.name, role: "" });
  const verdict = state.round?.consensus;

  return (
    <section aria-label="readers">
      <h3>Readers</h3>
      <p className="muted small">
        Rule: {state.rule.toLowerCase()}
        {state.rule === "MAJORITY" && state.quorum ? ` (quorum ${Math.round(state.quorum * 100)} %)` : ""}
        {state.assigned.length === 0 ? " · nobody assigned: one reader's vote decides" : ""}
      </p>
      {verdict && (
        <p className="small" data-testid="consensus">
          {verdict.reason}
        </p>
      )}
      <ul className="plain" data-testid="presence">
        {readers.map((r) => {
          const p = online.get(r.id);
          const v = votes.get(r.id);
          return (
            <li key={r.id} className="reader" data-reader={r.name}>
              <span className="dot" style={{ background: p?.user.color ?? "transparent", borderColor: p?.user.color ?? "#999" }} aria-hidden />
              <strong>{r.name}</strong>
              {r.id === me && <span className="muted small"> (you)</span>}
              <span className="muted small">
                {p ? ` · slice ${p.slice !== null ? p.slice + 1 : "–"}${p.hovered !== null ? ` · looking at candidate ${p.hovered + 1}` : ""}` : r.id === me ? "" : " · offline"}
              </span>
              {v && <span className="small vote"> · {choiceLabel(v)}</span>}
              {p && r.id !== me && (
                <button className="ghost small" aria-pressed={following === r.id} onClick={() => setFollowing(following === r.id ? null : r.id)}>
                  {following === r.id ? "Following" : "Follow"}
                </button>
              )}
            </li>
          );
        })}
      </ul>
      <h3>Comments</h3>
      <ul className="plain small" data-testid="comments">
        {state.comments.map((c) => (
          <li key={c.id}>
            <button className="link" onClick={() => goTo.set(c.position as [number, number, number])} title="Go to the comment's position">
              slice {c.slice + 1}
            </button>{" "}
            <strong>{c.name}</strong>: {c.text}
          </li>
        ))}
        {state.comments.length === 0 && <li className="muted">No comments yet.</li>}
      </ul>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const c = cursor.get();
          if (!c) return setCommentError("Click the image where the comment belongs first.");
          comment.mutate({ caseId, text, slice: c.vox[2], position: c.mm });
        }}
      >
        <input aria-label="Comment" placeholder="Comment at the crosshair…" value={text} onChange={(e) => setText(e.target.value)} maxLength={2000} />
        <button type="submit" disabled={!text.trim() || comment.isPending}>
          Add
        </button>
        {commentError && <p className="error small">{commentError}</p>}
      </form>
    </section>
  );
}
