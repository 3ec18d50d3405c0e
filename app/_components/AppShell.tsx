"use client";
// Page frame for signed-in pages: header, and a redirect to sign-in when the session is gone.
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, type ReactNode } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../_lib/trpc";

export function AppShell({ children, crumbs }: { children: ReactNode; crumbs?: { href?: string; label: string }[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const qc = useQueryClient();
  const me = useQuery(trpc.auth.me.queryOptions());
  const signOut = useMutation(
    trpc.auth.signOut.mutationOptions({
      onSuccess: () => {
        qc.clear();
        router.replace("/signin");
      },
    }),
  );

  useEffect(() => {
    if (me.isSuccess && !me.data) router.replace(`/signin?next=${encodeURIComponent(pathname)}`);
  }, [me.isSuccess, me.data, router, pathname]);

  if (!me.data) return <main className="center muted">{me.isError ? "Could not reach the server." : "Loading…"}</main>;
  return (
    <>
      <header className="topbar">
        <Link href="/projects" className="brand">
          UAIR
        </Link>
        <nav className="crumbs" aria-label="breadcrumb">
          {crumbs?.map((c, i) => (
            <span key={i}>
              <span className="sep">/</span>
              {c.href ? <Link href={c.href}>{c.label}</Link> : <span>{c.label}</span>}
            </span>
          ))}
        </nav>
        <div className="who">
          <Link href="/queue">My queue</Link>
          <Link href="/account" data-testid="current-user">
            {me.data.name}
          </Link>
          <span className="muted small">{me.data.memberships.map((m) => `${m.institutionName} · ${m.role.toLowerCase()}`).join(", ")}</span>
          <button className="ghost" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
            Sign out
          </button>
        </div>
      </header>
      <main className="page">{children}</main>
    </>
  );
}
