import t from 'tap'
import { Duration } from '../../../cluster/config/duration.js'
import { ValueError } from '../../../cluster/config/errors.js'

t.test('parses every Mesos unit', async (t) => {
  t.equal(Duration.parse('5ns').ns, 5)
  t.equal(Duration.parse('7us').ns, 7_000)
  t.equal(Duration.parse('500ms').ms, 500)
  t.equal(Duration.parse('15secs').secs, 15)
  t.equal(Duration.parse('10mins').secs, 600)
  t.equal(Duration.parse('1hrs').mins, 60)
  t.equal(Duration.parse('2days').hrs, 48)
  t.equal(Duration.parse('1weeks').days, 7)
  t.equal(Duration.parse('1.5secs').ms, 1500, 'fractions')
  t.equal(Duration.parse('.5mins').secs, 30)
  t.equal(Duration.parse('0secs').ns, 0)
})

t.test('rejects what stout rejects, with a suggestion where the intent is clear', async (t) => {
  const rejects = (text: string, shape: { suggestion?: string; reason?: string | RegExp; name?: string }) =>
    t.throws(() => Duration.parse(text), { name: 'ValueError', ...shape }, text)
  rejects('15s', { name: 'ValueError', suggestion: '15secs' })
  rejects('10min', { suggestion: '10mins' })
  rejects('2 hours', { suggestion: '2hrs' })
  rejects('1week', { suggestion: '1weeks' })
  rejects('15SECS', { suggestion: '15secs', reason: "unknown unit 'SECS'" })
  rejects('15', { suggestion: '15secs', reason: 'the unit is missing' })
  rejects('15parsecs', { suggestion: undefined, reason: "unknown unit 'parsecs'" })
  rejects('-1secs', { suggestion: undefined })
  rejects('', {})
  rejects('secs', {})
  rejects('1.2.3secs', {})
  rejects('99999999999weeks', { reason: /longer than a duration can be/ })
  t.type(t.throws(() => Duration.parse('x')), ValueError)
})

t.test('prints in the largest whole unit', async (t) => {
  t.equal(String(Duration.parse('15secs')), '15secs')
  t.equal(String(Duration.parse('120secs')), '2mins')
  t.equal(String(Duration.parse('90secs')), '90secs')
  t.equal(String(Duration.parse('1.5secs')), '1500ms')
  t.equal(String(Duration.parse('7days')), '1weeks')
  t.equal(String(Duration.fromMillis(0)), '0secs')
  t.equal(JSON.stringify({ d: Duration.fromSeconds(600) }), '{"d":"10mins"}')
  t.ok(Duration.parse('60secs').equals(Duration.parse('1mins')))
  t.ok(Duration.parse('1secs').compare(Duration.parse('1mins')) < 0)
  t.equal(Duration.fromNanos(1500).us, 1.5)
})
