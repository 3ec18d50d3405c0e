"use client";
// The round's masks side by side at the slice in view: a thumbnail per mask (CT with the mask
// blended in), its volume and how it differs from the recommended one. Click one to show it on
// the viewer.
import { useEffect, useState } from "react";
import type { CursorInfo, Store } from "../../_components/viewer/Viewer";
import type { RoundView } from "./ReviewPanel";

type Summary = { liverMl: number; tumourMl: number; difference?: { addedMl: number; removedMl: number } };

/** The slice in view, settled (a crosshair drag would otherwise fetch every slice it crosses). */
function useSettledSlice(cursor: Store<CursorInfo | null>, ms = 200): number | null {
  const [slice, setSlice] = useState<number | null>(cursor.get()?.vox[2] ?? null);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const unsub = cursor.subscribe(() => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => setSlice(cursor.get()?.vox[2] ?? null), ms);
    });
    return () => {
      unsub();
      if (timer) clearTimeout(timer);
    };
  }, [cursor, ms]);
  return slice;
}

export function Gallery({ round, cursor, shown, onShow }: { round: RoundView; cursor: Store<CursorInfo | null>; shown: string | null; onShow: (id: string | null) => void }) {
  const slice = useSettledSlice(cursor);
  if (slice === null) return <p className="muted small">Click the image to see every mask at that slice side by side.</p>;
  const rec = (round.summary as { recommended?: Summary }).recommended;
  const items = [
    ...(round.recommendedUrl ? [{ id: `round:${round.id}:recommended`, label: "Recommended", url: round.recommendedUrl, s: rec }] : []),
    ...round.candidates.map((c) => ({ id: `round:${round.id}:candidate-${c.index}`, label: `Candidate ${c.index + 1}`, url: c.url, s: c.summary as Summary })),
  ];
  const ml = (v: number) => `${v.toFixed(1)} mL`;
  const structure = round.structure;
  return (
    <div className="gallery" data-testid="gallery" aria-label={`masks at slice ${slice + 1}`}>
      {items.map((it) => (
        <button key={it.id} className="gallery-item" aria-pressed={shown === it.id} onClick={() => onShow(shown === it.id ? null : it.id)} title={`Show ${it.label} on the viewer`}>
          {/* a server-rendered PNG of one slice: next/image adds nothing here */}
          {/* eslint-disable-next-line @next/next/no-img-element */}
          <img src={`${it.url.replace(/\.nii\.gz$/, "")}/slice-${slice}.png`} alt={`${it.label} at slice ${slice + 1}`} width={128} height={128} />
          <span className="small">
            {it.label}
            {it.s && (
              <>
                <br />
                {structure === "tumour" ? `tumour ${ml(it.s.tumourMl)}` : `liver ${ml(it.s.liverMl)}`}
                {it.s.difference && (it.s.difference.addedMl > 0 || it.s.difference.removedMl > 0) && (
                  <span className="muted">
                    {" "}
                    +{ml(it.s.difference.addedMl)}/−{ml(it.s.difference.removedMl)}
                  </span>
                )}
              </>
            )}
          </span>
        </button>
      ))}
      <p className="muted small">Slice {slice + 1}</p>
    </div>
  );
}
