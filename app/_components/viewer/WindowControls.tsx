"use client";
// Window presets (W cycles them) and free window width / level in HU.
import { useEffect, useState } from "react";
import { presetFor, WINDOW_PRESETS, type WindowLevel } from "./presets";
import styles from "./viewer.module.css";

export function WindowControls({ value, onChange }: { value: WindowLevel; onChange: (w: WindowLevel) => void }) {
  const active = presetFor(value)?.id;
  return (
    <div className={styles.group}>
      <div className={styles.groupTitle}>Window</div>
      <div className={styles.segmented} role="group" aria-label="Window presets">
        {WINDOW_PRESETS.map((p) => (
          <button
            key={p.id}
            type="button"
            aria-pressed={active === p.id}
            title={`W ${p.width} / L ${p.level} HU`}
            onClick={() => onChange({ width: p.width, level: p.level })}
          >
            {p.label}
          </button>
        ))}
      </div>
      <div className={styles.wlRow}>
        <NumberField label="W" title="Window width (HU)" value={value.width} min={1} onCommit={(width) => onChange({ ...value, width })} />
        <NumberField label="L" title="Window level / centre (HU)" value={value.level} onCommit={(level) => onChange({ ...value, level })} />
        <span className={styles.dim}>{active ? WINDOW_PRESETS.find((p) => p.id === active)?.label : "custom"}</span>
      </div>
    </div>
  );
}

/** Numeric input applied live while it holds a valid number; normalised on blur. */
function NumberField({ label, title, value, min, onCommit }: { label: string; title: string; value: number; min?: number; onCommit: (v: number) => void }) {
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);
  const parse = (s: string) => {
    const n = Math.round(Number(s));
    if (s.trim() === "" || !Number.isFinite(n)) return null;
    return min !== undefined ? Math.max(min, n) : n;
  };
  return (
    <label className={styles.num} title={title}>
      <span>{label}</span>
      <input
        type="number"
        inputMode="numeric"
        aria-label={title}
        value={text}
        min={min}
        step={10}
        onChange={(e) => {
          setText(e.target.value);
          const v = parse(e.target.value);
          if (v !== null && v !== value) onCommit(v);
        }}
        onBlur={() => setText(String(value))}
      />
    </label>
  );
}
