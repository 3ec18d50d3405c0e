"use client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { useState, type ReactNode } from "react";
import { makeTrpcClient, TRPCProvider } from "./_lib/trpc";

function isAuthError(e: unknown) {
  return e instanceof TRPCClientError && e.data?.code === "UNAUTHORIZED";
}

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: { retry: (n, e) => !isAuthError(e) && n < 2, refetchOnWindowFocus: false, staleTime: 5_000 },
        },
      }),
  );
  const [trpcClient] = useState(makeTrpcClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
