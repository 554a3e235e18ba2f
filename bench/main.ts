// `npm run bench -- <name> [options]`: dispatches to bench/<name>.ts, whose last stdout line
// is its JSON result.
const benches: Record<string, () => Promise<{ run(args: string[]): Promise<void> }>> = {
  runtime: () => import('./runtime.js'),
  allocator: () => import('./allocator.js'),
  launch: () => import('./launch.js'),
  failover: () => import('./failover.js'),
  http: () => import('./http.js'),
}

const [name, ...args] = process.argv.slice(2)
if (!name || !benches[name]) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [--quick]\n`)
  process.exit(2)
}
await (await benches[name]!()).run(args)
