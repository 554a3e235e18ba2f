// The lease worker's entry point, plain JavaScript so Node loads it in a worker thread however
// the main thread was started. Under `--import tsx` (tests, `npm run`) a worker inherits the
// loader; under cluster/bin/mesos-ts.js tsx is registered through its API, which in Node 20
// applies to the main thread only. So register it here too, with our own tsconfig as the bin does
// (registering twice is harmless: measured under both).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { register } from 'tsx/esm/api'

const tsconfig = fileURLToPath(new URL('../tsconfig.json', import.meta.url))
register({ tsconfig: existsSync(tsconfig) ? tsconfig : false })

await import('./lease-worker-thread.ts')
