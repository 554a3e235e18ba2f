#!/usr/bin/env -S node --max-semi-space-size=64
// The `mesos-ts` executable: registers tsx so Node runs the TypeScript sources (there is no
// build step), then hands over to cluster/cli/main.ts.
//
// --max-semi-space-size=64 is a measured GC win for the actors' short-lived messages. It only
// applies when this file is run through its shebang (`mesos-ts`, `./cluster/bin/mesos-ts.js`):
// `node cluster/bin/mesos-ts.js` needs `node --max-semi-space-size=64 ...` or
// NODE_OPTIONS=--max-semi-space-size=64, since V8 sizes its heap before any script runs.

import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { register } from 'tsx/esm/api'

// Our own tsconfig, not one found from the working directory: a user's project there may compile
// differently (paths, decorators) and must not change how mesos-ts itself is compiled.
const tsconfig = fileURLToPath(new URL('../../tsconfig.json', import.meta.url))
register({ tsconfig: existsSync(tsconfig) ? tsconfig : false })

const { runCli } = await import('../cli/main.ts')
await runCli()
