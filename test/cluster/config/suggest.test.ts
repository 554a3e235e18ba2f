import t from 'tap'
import { closest, didYouMean, editDistance } from '../../../cluster/config/suggest.js'

t.test('edit distance counts a swap of neighbours as one edit', async (t) => {
  t.equal(editDistance('', ''), 0)
  t.equal(editDistance('abc', ''), 3)
  t.equal(editDistance('', 'abc'), 3)
  t.equal(editDistance('resouces', 'resources'), 1, 'a missing letter')
  t.equal(editDistance('wrok_dir', 'work_dir'), 1, 'two letters swapped')
  t.equal(editDistance('prot', 'port'), 1)
  t.equal(editDistance('kitten', 'sitting'), 3)
  t.equal(editDistance('ca', 'abc'), 3, 'optimal string alignment: no edits of an already swapped pair')
})

t.test('closest picks a near name, or none', async (t) => {
  const names = ['resources', 'attributes', 'work_dir', 'port', 'log_dir', 'logging_level']
  t.equal(closest('resouces', names), 'resources')
  t.equal(closest('work-dir', names), 'work_dir', '- and _ are the same')
  t.equal(closest('WORK_DIR', names), 'work_dir', 'case does not count')
  t.equal(closest('logdir', names), 'log_dir')
  t.equal(closest('prot', names), 'port')
  t.equal(closest('zookeeper', names), undefined, 'nothing close')
  t.equal(closest('x', []), undefined)
  t.equal(closest('ab', ['ax', 'ay']), 'ax', 'ties go to the first')
  t.equal(didYouMean('port'), " (did you mean 'port'?)")
  t.equal(didYouMean(undefined), '')
})
