/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // the custom server (server/main.ts) owns /api/trpc, /api/health and socket.io
  typescript: { tsconfigPath: "tsconfig.json" },
};

export default nextConfig;
