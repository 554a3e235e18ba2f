// The second half of the 200 seeds of `npm test` (a separate file so tap runs both halves at once).
import t from 'tap'
import { runSeeds } from './support/seeds.js'

// 100 seeds take about a minute on an idle 2-core machine, more while the rest of the suite runs.
t.setTimeout(300_000)

t.test('seeds 101..200 keep every invariant', async t => {
  await runSeeds(t, 101, 200)
})
