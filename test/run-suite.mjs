#!/usr/bin/env node
// `npm test`: the typecheck, then the whole tap suite, ending with the plain line
// `N passed, N failed, N skipped` computed from tap's own summary, so CI can count the tests.
import { spawn, spawnSync } from 'node:child_process'

const bin = name => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname
const step = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1

process.stdout.write('# typecheck (tsc --noEmit)\n')
const typecheck = step(bin('tsc'), ['--noEmit', '-p', '.'])
if (typecheck !== 0) process.stdout.write('# typecheck FAILED\n')

// tap compiles its plugin set into node_modules; ours differs from the default (no ts-node:
// tests run through tsx), so build it after every fresh install. Quick when up to date.
if (step(bin('tap'), ['build']) !== 0) process.exit(1)

const files = process.argv.slice(2)
const tap = spawn(bin('tap'), ['--reporter=tap', ...(files.length ? files : ['test/**/*.test.ts'])], { stdio: ['ignore', 'pipe', 'inherit'] })
let summary
let buffered = ''
tap.stdout.on('data', chunk => {
  process.stdout.write(chunk)
  buffered += chunk.toString()
  const lines = buffered.split('\n')
  buffered = lines.pop() ?? ''
  for (const line of lines) {
    const m = /^# (\{.*\})\s*$/.exec(line)
    if (m) {
      try {
        summary = Function(`return (${m[1]})`)()
      } catch {}
    }
  }
})
tap.on('close', code => {
  const s = summary ?? { total: 0, pass: 0, fail: 1 }
  const failed = (s.fail ?? 0) + (typecheck === 0 ? 0 : 1)
  const skipped = (s.skip ?? 0) + (s.todo ?? 0)
  process.stdout.write(`${s.pass ?? 0} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`)
  process.exit(code === 0 && typecheck === 0 && summary ? 0 : 1)
})
